internal import CGcrypt

/// Hashes, MACs and randomness for request signing: SHA-256 and HMAC-SHA256 from libgcrypt, loaded
/// on first use (CGcrypt's header says why), and random bytes from the system's CSPRNG. The only
/// file that calls libgcrypt (through `CGcrypt`).
enum Crypto {
    /// Why libgcrypt cannot be used, or `nil` when it can: the first call loads and initialises
    /// it. Whatever signs asks this first and reports the reason (``APIClient``).
    static var unavailable: String? { acr_gcrypt_load().map { String(cString: $0) } }

    /// Loads libgcrypt for a digest; the signer has checked ``unavailable`` already, so a failure
    /// here is a caller's mistake.
    private static func loaded() {
        precondition(unavailable == nil, "libgcrypt used before Crypto.unavailable was checked")
    }

    /// Lower-case hex SHA-256 of `data`.
    static func sha256Hex(_ data: some Collection<UInt8>) -> String {
        hex(sha256(Array(data)))
    }

    /// The 32-byte SHA-256 digest of `data`.
    static func sha256(_ data: [UInt8]) -> [UInt8] {
        loaded()
        var digest = [UInt8](repeating: 0, count: 32)
        data.withUnsafeBytes { acr_sha256($0.baseAddress, $0.count, &digest) }
        return digest
    }

    /// Lower-case hex HMAC-SHA256 of `data` under `key`.
    static func hmacSHA256Hex(key: some Collection<UInt8>, _ data: some Collection<UInt8>) -> String {
        hex(hmacSHA256(key: Array(key), Array(data)))
    }

    /// The 32-byte HMAC-SHA256 of `data` under `key`.
    static func hmacSHA256(key: [UInt8], _ data: [UInt8]) -> [UInt8] {
        loaded()
        var digest = [UInt8](repeating: 0, count: 32)
        let done = key.withUnsafeBytes { key in
            data.withUnsafeBytes { data in
                acr_hmac_sha256(key.baseAddress, key.count, data.baseAddress, data.count, &digest)
            }
        }
        // SHA-256 is always built into libgcrypt, and HMAC takes keys of any length: a failure
        // here is a broken library, not an input the helper could refuse.
        precondition(done != 0, "libgcrypt could not compute HMAC-SHA256")
        return digest
    }

    /// `count` random bytes from the system's CSPRNG (`getrandom`), as lower-case hex.
    static func randomHex(byteCount count: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        return hex((0..<count).map { _ in UInt8.random(in: .min ... .max, using: &generator) })
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
