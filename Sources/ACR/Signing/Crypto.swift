internal import CCrypto

// The only Swift file that calls libcrypto (through the CCrypto shim, which loads it on first use).

/// Hashes, MACs and randomness for request signing.
enum Crypto {
    /// Lower-case hex SHA-256 of `data`.
    static func sha256Hex(_ data: some Collection<UInt8>) -> String {
        var digest = [UInt8](repeating: 0, count: 32)
        let bytes = Array(data)
        let done = bytes.withUnsafeBytes { acr_sha256($0.baseAddress, $0.count, &digest) }
        guard done == 1 else { unavailable() }
        return hex(digest)
    }

    /// Lower-case hex HMAC-SHA256 of `data` under `key`.
    static func hmacSHA256Hex(key: some Collection<UInt8>, _ data: some Collection<UInt8>) -> String {
        var mac = [UInt8](repeating: 0, count: 32)
        let keyBytes = Array(key)
        let dataBytes = Array(data)
        let done = keyBytes.withUnsafeBytes { keyBuffer in
            dataBytes.withUnsafeBytes { dataBuffer in
                acr_hmac_sha256(keyBuffer.baseAddress, keyBuffer.count, dataBuffer.baseAddress, dataBuffer.count, &mac)
            }
        }
        guard done == 1 else { unavailable() }
        return hex(mac)
    }

    /// `count` random bytes from OpenSSL's CSPRNG, as lower-case hex.
    static func randomHex(byteCount count: Int) -> String {
        var bytes = [UInt8](repeating: 0, count: count)
        // A nonce must never repeat: without randomness there is nothing safe to send.
        guard acr_random_bytes(&bytes, Int32(count)) == 1 else { unavailable() }
        return hex(bytes)
    }

    /// Whether libcrypto can be loaded, and if not, why.
    static var loadFailure: String? { acr_crypto_load().map { String(cString: $0) } }

    /// libcrypto is a declared dependency of the package; without it nothing can be signed.
    private static func unavailable() -> Never {
        fatalError("libcrypto.so.3 could not be used (\(loadFailure ?? "call failed")): install libssl3")
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
