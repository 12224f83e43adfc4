import Crypto
import Testing

@testable import SecretStore

/// The encrypted session's cryptography, against values from independent implementations: RFC
/// 5869's own vector, NIST's AES vector, Python's `pow` and `hmac`, and `openssl enc`.
@Suite struct EncryptedSessionTests {
    init() {
        #expect(Crypto.unavailable == nil, "libgcrypt: \(Crypto.unavailable ?? "")")
    }

    /// Two private keys, each 128 bytes: (37i + 11) and (53i + 5) mod 256.
    static let ours = (0..<128).map { UInt8(($0 * 37 + 11) % 256) }
    static let theirs = (0..<128).map { UInt8(($0 * 53 + 5) % 256) }
    /// p − 1 of the group, big-endian: a peer's value that must be refused.
    static let primeLessOne =
        Array(repeating: 0xff, count: 8)
        + hex(
            "C90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DD"
                + "EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B"
                + "0BFF5CB6F406B7EDEE386BFB5A899FA5AE9F24117C4B1FE649286651ECE65381") + Array(repeating: 0xff, count: 7)
        + [0xfe]

    static func hex(_ text: String) -> [UInt8] {
        var bytes: [UInt8] = []
        var index = text.startIndex
        while index < text.endIndex {
            let next = text.index(index, offsetBy: 2)
            bytes.append(UInt8(text[index..<next], radix: 16)!)
            index = next
        }
        return bytes
    }

    @Test func hkdfMatchesRFC5869TestCase3() {
        // SHA-256, 22 bytes of 0x0b, no salt and no info, 42 bytes out: two blocks.
        let output = Crypto.hkdfSHA256([UInt8](repeating: 0x0b, count: 22), length: 42)
        #expect(
            Crypto.hex(output)
                == "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8")
    }

    @Test func aesMatchesNISTAndPadsAsPKCS7() {
        // SP 800-38A F.2.1, first block; the padding block after it is PKCS #7's: sixteen 0x10.
        let key = Self.hex("2b7e151628aed2a6abf7158809cf4f3c")
        let iv = Self.hex("000102030405060708090a0b0c0d0e0f")
        let output = Crypto.aes128CBCEncrypt(Self.hex("6bc1bee22e409f96e93d7e117393172a"), key: key, iv: iv)
        #expect(output.count == 32)
        #expect(Crypto.hex(output.prefix(16)) == "7649abac8119b246cee98e9b12e9197d")
        #expect(Crypto.aes128CBCEncrypt([], key: key, iv: iv).count == 16)
        #expect(Crypto.aes128CBCEncrypt([UInt8](repeating: 1, count: 15), key: key, iv: iv).count == 16)
    }

    @Test func publicKeysAre128BytesWithLeadingZerosKept() {
        // 2^1 = 2: 127 zero bytes, then 2.
        let one = [UInt8](repeating: 0, count: 127) + [1]
        #expect(Crypto.diffieHellman1024PublicKey(one) == [UInt8](repeating: 0, count: 127) + [2])
        // Python: pow(2, a, p).to_bytes(128, 'big'), its SHA-256.
        let ours = Crypto.diffieHellman1024PublicKey(Self.ours)
        #expect(Crypto.sha256Hex(ours) == "c89e36db17b86a81cbd46fd8ac8bd40985c6b23083315949f4d4cad2c3f0bb05")
    }

    @Test func bothEndsShareOneSecret() throws {
        let ourPublic = Crypto.diffieHellman1024PublicKey(Self.ours)
        let theirPublic = Crypto.diffieHellman1024PublicKey(Self.theirs)
        let shared = try #require(Crypto.diffieHellman1024SharedSecret(Self.ours, peerPublicKey: theirPublic))
        #expect(Crypto.diffieHellman1024SharedSecret(Self.theirs, peerPublicKey: ourPublic) == shared)
        #expect(Crypto.sha256Hex(shared) == "252368664f05ed0e85f0061b5cdda6e62886a0cdfc09d503a052af232fe7ea02")
        // Leading zeros are no part of the number, be the key shorter (2 alone) or longer (KWallet 5
        // puts a zero byte before a key whose first bit is set).
        let short = try #require(
            Crypto.diffieHellman1024SharedSecret(Self.ours, peerPublicKey: [UInt8](repeating: 0, count: 127) + [2]))
        #expect(Crypto.diffieHellman1024SharedSecret(Self.ours, peerPublicKey: [2]) == short)
        #expect(Crypto.diffieHellman1024SharedSecret(Self.ours, peerPublicKey: [0, 0] + theirPublic) == shared)
    }

    /// Values that are no public key of the group, or that make the secret known to anyone: never
    /// used.
    @Test(arguments: [
        [], [0], [1], EncryptedSessionTests.primeLessOne, [UInt8](repeating: 0xff, count: 128),
        [1] + [UInt8](repeating: 0, count: 128), [0] + EncryptedSessionTests.primeLessOne,
    ])
    func aPeerKeyOutsideTheGroupIsRefused(_ peer: [UInt8]) {
        #expect(Crypto.diffieHellman1024SharedSecret(Self.ours, peerPublicKey: peer) == nil)
        #expect(EncryptedSession(path: "/s", offer: .init(privateKey: Self.ours), peerPublicKey: peer) == nil)
    }

    /// A secret that starts with a zero byte is not used (KWallet 5 derives its key from the secret
    /// without its leading zeros): the session is opened again instead.
    @Test func aSharedSecretStartingWithZeroIsNotUsed() throws {
        // Python: the first k from 2 up for which pow(pow(2, k, p), a, p) < 2^1016.
        let peer = Crypto.diffieHellman1024PublicKey([UInt8](repeating: 0, count: 126) + [0x02, 0x7a])
        let shared = try #require(Crypto.diffieHellman1024SharedSecret(Self.ours, peerPublicKey: peer))
        #expect(shared.count == 128 && shared[0] == 0)
        #expect(EncryptedSession(path: "/s", offer: .init(privateKey: Self.ours), peerPublicKey: peer) == nil)
    }

    @Test func theLargestPeerKeyIsUsed() {
        var largest = Self.primeLessOne
        largest[127] -= 1
        #expect(Crypto.diffieHellman1024SharedSecret(Self.ours, peerPublicKey: largest) != nil)
    }

    @Test func aSecretIsEncryptedUnderTheDerivedKey() throws {
        let theirPublic = Crypto.diffieHellman1024PublicKey(Self.theirs)
        let session = try #require(
            EncryptedSession(path: "/s/1", offer: .init(privateKey: Self.ours), peerPublicKey: theirPublic))
        let iv = Self.hex("000102030405060708090a0b0c0d0e0f")
        // openssl enc -aes-128-cbc -K <HKDF-SHA256 of the shared secret, 16 bytes> -iv <iv>.
        let sent = session.encrypt(Array("LTAI5t-secret-0123456789".utf8), iv: iv)
        #expect(sent.parameters == iv)
        #expect(Crypto.hex(sent.value) == "a2823421011aea9846867817e4cf2544a4bfc316945cbc3206629942a76a46b8")
        #expect(Crypto.hex(session.encrypt([], iv: iv).value) == "a829d17fda9fc6ef0dc96d960b0ec2ad")
        #expect(session.path == "/s/1")
    }

    @Test func offersNeverStartWithAZeroByteAndDiffer() {
        let offers = (0..<20).map { _ in EncryptedSession.Offer() }
        #expect(offers.allSatisfy { $0.publicKey.count == 128 && $0.publicKey[0] != 0 })
        #expect(Set(offers.map(\.privateKey)).count == 20)
    }
}
