internal import CCrypto

// The only file that calls OpenSSL's libcrypto.

/// Hashes, MACs and randomness for request signing.
enum Crypto {
    /// Lower-case hex SHA-256 of `data` (`EVP_Digest` with `EVP_sha256`).
    static func sha256Hex(_ data: some Collection<UInt8>) -> String {
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        let bytes = Array(data)
        _ = bytes.withUnsafeBytes { input in
            EVP_Digest(input.baseAddress, input.count, &digest, &length, EVP_sha256(), nil)
        }
        return hex(digest.prefix(Int(length)))
    }

    /// Lower-case hex HMAC-SHA256 of `data` under `key` (`HMAC` with `EVP_sha256`).
    static func hmacSHA256Hex(key: some Collection<UInt8>, _ data: some Collection<UInt8>) -> String {
        var mac = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        let keyBytes = Array(key)
        let dataBytes = Array(data)
        _ = keyBytes.withUnsafeBytes { keyBuffer in
            dataBytes.withUnsafeBytes { dataBuffer in
                HMAC(
                    EVP_sha256(), keyBuffer.baseAddress, Int32(keyBuffer.count),
                    dataBuffer.baseAddress?.assumingMemoryBound(to: UInt8.self), dataBuffer.count, &mac, &length)
            }
        }
        return hex(mac.prefix(Int(length)))
    }

    /// `count` random bytes from OpenSSL's CSPRNG (`RAND_bytes`), as lower-case hex.
    static func randomHex(byteCount count: Int) -> String {
        var bytes = [UInt8](repeating: 0, count: count)
        guard RAND_bytes(&bytes, Int32(count)) == 1 else {
            // RAND_bytes fails only without an entropy source; a nonce must never repeat.
            fatalError("OpenSSL RAND_bytes failed: no entropy for a request nonce")
        }
        return hex(bytes)
    }

    static func hex(_ bytes: some Collection<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
