import Crypto

/// This side of the Secret Service's encrypted session, `dh-ietf1024-sha256-aes128-cbc-pkcs7`, as
/// the freedesktop specification defines it and every Secret Service (GNOME Keyring, KeePassXC,
/// KWallet) implements it: a Diffie-Hellman exchange in the 1024-bit MODP group of RFC 2409
/// (`OpenSession` carries each side's public key), HKDF-SHA256 of the shared secret (128 bytes,
/// leading zeros kept; no salt, no info) for a 16-byte AES key, and each secret sent as AES-128-CBC
/// with PKCS #7 padding under a random IV. Only writes use it: a secret sent this way is never
/// decrypted here.
struct EncryptedSession {
    /// The algorithm's name, as `OpenSession` takes it.
    static let algorithm = "dh-ietf1024-sha256-aes128-cbc-pkcs7"

    /// A private key and its public key, the latter for `OpenSession`.
    struct Offer {
        let privateKey: [UInt8]
        let publicKey: [UInt8]

        /// A fresh random key pair whose public key's first byte is not zero: KWallet before 6.x
        /// reads a public key with a leading zero byte wrongly (it refuses the session, or derives
        /// another key), so such a key, one in 256, is not offered.
        init() {
            repeat {
                self.init(privateKey: Crypto.randomBytes(Crypto.diffieHellman1024Bytes))
            } while publicKey[0] == 0
        }

        /// The pair of `privateKey` (128 bytes, big-endian).
        init(privateKey: [UInt8]) {
            self.privateKey = privateKey
            self.publicKey = Crypto.diffieHellman1024PublicKey(privateKey)
        }
    }

    /// The session's object path on the service.
    let path: String
    /// The AES-128 key both ends derived.
    private let key: [UInt8]

    /// The session the service opened at `path` in answer to `offer`, with its public key
    /// `peerPublicKey`; `nil` when that is not a public key of the group, or the secret it gives
    /// starts with a zero byte (KWallet before 6.x derives another key from such a secret, as
    /// above; the caller opens another session).
    init?(path: String, offer: Offer, peerPublicKey: [UInt8]) {
        guard let shared = Crypto.diffieHellman1024SharedSecret(offer.privateKey, peerPublicKey: peerPublicKey),
            shared[0] != 0
        else { return nil }
        self.path = path
        self.key = Crypto.hkdfSHA256(shared, length: 16)
    }

    /// `plaintext` encrypted for the session under `iv` (a fresh random one unless a test sets
    /// it): the parameters (the IV) and the value, as a `Secret` struct carries them.
    func encrypt(_ plaintext: [UInt8], iv: [UInt8] = Crypto.randomBytes(16)) -> (parameters: [UInt8], value: [UInt8]) {
        (iv, Crypto.aes128CBCEncrypt(plaintext, key: key, iv: iv))
    }
}
