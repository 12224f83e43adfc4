internal import CGcrypt

/// The cryptography of the helper, from libgcrypt (loaded on first use: CGcrypt's header says why)
/// and the system's CSPRNG: SHA-256 and HMAC-SHA256 for request signing; Diffie-Hellman, HKDF and
/// AES for the Secret Service's encrypted session. The only file that calls libgcrypt (through
/// `CGcrypt`).
package enum Crypto {
    /// Why libgcrypt cannot be used, or `nil` when it can: the first call loads and initialises
    /// it. Whatever signs asks this first and reports the reason (``APIClient``).
    package static var unavailable: String? { acr_gcrypt_load().map { String(cString: $0) } }

    /// Loads libgcrypt for a digest; the signer has checked ``unavailable`` already, so a failure
    /// here is a caller's mistake.
    private static func loaded() {
        precondition(unavailable == nil, "libgcrypt used before Crypto.unavailable was checked")
    }

    /// Lower-case hex SHA-256 of `data`.
    package static func sha256Hex(_ data: some Collection<UInt8>) -> String {
        hex(sha256(Array(data)))
    }

    /// The 32-byte SHA-256 digest of `data`.
    package static func sha256(_ data: [UInt8]) -> [UInt8] {
        loaded()
        var digest = [UInt8](repeating: 0, count: 32)
        data.withUnsafeBytes { acr_sha256($0.baseAddress, $0.count, &digest) }
        return digest
    }

    /// Lower-case hex HMAC-SHA256 of `data` under `key`.
    package static func hmacSHA256Hex(key: some Collection<UInt8>, _ data: some Collection<UInt8>) -> String {
        hex(hmacSHA256(key: Array(key), Array(data)))
    }

    /// The 32-byte HMAC-SHA256 of `data` under `key`.
    package static func hmacSHA256(key: [UInt8], _ data: [UInt8]) -> [UInt8] {
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
    package static func randomHex(byteCount count: Int) -> String {
        hex(randomBytes(count))
    }

    /// `count` random bytes from the system's CSPRNG (`getrandom`).
    package static func randomBytes(_ count: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<count).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
    }

    /// HKDF-SHA256 (RFC 5869) of `input` with an empty salt and no info, as the Secret Service
    /// derives its session key: `length` bytes (at most 255 × 32).
    package static func hkdfSHA256(_ input: [UInt8], length: Int) -> [UInt8] {
        precondition(length <= 255 * 32, "HKDF-SHA256 gives at most 8160 bytes")
        // An empty salt is a hash-length string of zeros (RFC 5869, 2.2).
        let pseudorandomKey = hmacSHA256(key: [UInt8](repeating: 0, count: 32), input)
        var output: [UInt8] = []
        var block: [UInt8] = []
        var counter: UInt8 = 1
        while output.count < length {
            block = hmacSHA256(key: pseudorandomKey, block + [counter])
            output += block
            counter &+= 1
        }
        return Array(output.prefix(length))
    }

    /// Bytes of a Diffie-Hellman number of the 1024-bit MODP group of RFC 2409.
    package static let diffieHellman1024Bytes = Int(ACR_DH1024_BYTES)

    /// The public key of `privateKey` (big-endian, ``diffieHellman1024Bytes`` long) in the 1024-bit
    /// MODP group of RFC 2409 (generator 2): 128 bytes, big-endian.
    package static func diffieHellman1024PublicKey(_ privateKey: [UInt8]) -> [UInt8] {
        loaded()
        precondition(privateKey.count == diffieHellman1024Bytes, "a private key is 128 bytes")
        var publicKey = [UInt8](repeating: 0, count: diffieHellman1024Bytes)
        // The group's numbers are fixed and valid: a failure here is a broken library.
        precondition(acr_dh1024_public(privateKey, &publicKey) != 0, "libgcrypt could not compute a public key")
        return publicKey
    }

    /// The secret shared with the owner of `peerPublicKey`: 128 bytes, big-endian, with leading
    /// zeros. `nil` when `peerPublicKey` is not a public key of the group.
    package static func diffieHellman1024SharedSecret(_ privateKey: [UInt8], peerPublicKey: [UInt8]) -> [UInt8]? {
        loaded()
        precondition(privateKey.count == diffieHellman1024Bytes, "a private key is 128 bytes")
        var shared = [UInt8](repeating: 0, count: diffieHellman1024Bytes)
        let done = peerPublicKey.withUnsafeBufferPointer {
            acr_dh1024_shared(privateKey, $0.baseAddress, $0.count, &shared)
        }
        return done != 0 ? shared : nil
    }

    /// AES-128-CBC of `plaintext` under `key` and `iv` (16 bytes each), padded as PKCS #7 says (1
    /// to 16 bytes, each the count).
    package static func aes128CBCEncrypt(_ plaintext: [UInt8], key: [UInt8], iv: [UInt8]) -> [UInt8] {
        loaded()
        precondition(key.count == 16 && iv.count == 16, "AES-128-CBC takes a 16-byte key and IV")
        let padding = 16 - plaintext.count % 16
        let padded = plaintext + [UInt8](repeating: UInt8(padding), count: padding)
        var output = [UInt8](repeating: 0, count: padded.count)
        precondition(
            acr_aes128_cbc_encrypt(key, iv, padded, &output, padded.count) != 0, "libgcrypt could not encrypt")
        return output
    }

    package static func hex(_ bytes: some Collection<UInt8>) -> String {
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
