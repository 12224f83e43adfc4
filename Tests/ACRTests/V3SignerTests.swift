import Crypto
import Foundation
import Testing

@testable import ACR

/// Every V3 vector of the signing fixtures (the official documentation's example, and ACR-shaped
/// ones from the official SDK's signer) reproduces exactly.
@Suite struct V3SignerTests {
    struct Vector: Decodable, Sendable, CustomTestStringConvertible {
        /// Optional throughout: the fixtures' other schemes (RPC, ROA) have other inputs.
        struct Inputs: Decodable, Sendable {
            let method: String?
            let pathname: String?
            let query: [String: String]?
            let headers: [String: String]?
            let body: String?
            let accessKeyID: String?
            let accessKeySecret: String?
            enum CodingKeys: String, CodingKey {
                case method, pathname, query, headers, body
                case accessKeyID = "access_key_id", accessKeySecret = "access_key_secret"
            }
        }
        let name: String
        let scheme: String
        let inputs: Inputs?
        let canonicalRequest: String?
        let signature: String?
        let authorization: String?
        enum CodingKeys: String, CodingKey {
            case name, scheme, inputs, signature, authorization
            case canonicalRequest = "canonical_request"
        }
        var testDescription: String { name }
    }

    static let vectors: [Vector] = {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Fixtures/signing-vectors.json")
        let all = try! JSONDecoder().decode([Vector].self, from: Data(contentsOf: path))
        return all.filter { $0.scheme == V3Signer.algorithm }
    }()

    @Test func thereAreFiveV3Vectors() {
        #expect(
            Self.vectors.map(\.name).sorted() == [
                "v3-cr20160607-GetAuthorizationToken", "v3-cr20181201-GetAuthorizationToken",
                "v3-cr20181201-ListInstance-sts", "v3-encoding-edge-cases", "v3-official-RunInstances",
            ])
    }

    @Test(arguments: vectors)
    func reproducesTheVector(_ vector: Vector) throws {
        let inputs = try #require(vector.inputs)
        let headers = try #require(inputs.headers)
        // The signing headers come from sign(); everything else is the request's own.
        let own = headers.filter {
            ![
                "x-acs-date", "x-acs-signature-nonce", "x-acs-content-sha256", "x-acs-accesskey-id",
                "x-acs-security-token",
            ]
            .contains($0.key)
        }
        let request = V3Signer.Request(
            method: try #require(inputs.method), path: try #require(inputs.pathname), query: inputs.query ?? [:],
            headers: own, body: Array((inputs.body ?? "").utf8))
        let key = V3Signer.Key(
            accessKeyID: try #require(inputs.accessKeyID), accessKeySecret: try #require(inputs.accessKeySecret),
            securityToken: headers["x-acs-security-token"])
        let signed = V3Signer.sign(
            request, key: key, date: try #require(headers["x-acs-date"]),
            nonce: try #require(headers["x-acs-signature-nonce"]))

        #expect(signed["x-acs-content-sha256"] == headers["x-acs-content-sha256"])
        var expectedHeaders = headers
        expectedHeaders["authorization"] = vector.authorization
        #expect(signed == expectedHeaders)
        let parts = V3Signer.canonicalParts(request, headers: signed.filter { $0.key != "authorization" })
        #expect(parts.canonical == vector.canonicalRequest)
        #expect(signed["authorization"] == vector.authorization)
    }

    @Test func aFreshNonceOrDateChangesTheSignature() {
        let request = V3Signer.Request(
            method: "GET", path: "/tokens",
            headers: [
                "host": "cr.cn-hangzhou.aliyuncs.com", "x-acs-action": "GetAuthorizationToken",
                "x-acs-version": "2016-06-07",
            ])
        let key = V3Signer.Key(accessKeyID: "LTAI5tTestAccessKeyId", accessKeySecret: "secret")
        let one = V3Signer.sign(request, key: key, date: "2026-01-02T03:04:05Z", nonce: "a")
        let two = V3Signer.sign(request, key: key, date: "2026-01-02T03:04:05Z", nonce: "b")
        let three = V3Signer.sign(request, key: key, date: "2026-01-02T03:04:06Z", nonce: "a")
        #expect(Set([one["authorization"], two["authorization"], three["authorization"]]).count == 3)
        #expect(one["authorization"]?.contains("secret") == false)
    }

    @Test func percentEncodesAsTheServiceDoes() {
        #expect(V3Signer.percentEncode("a b*c~d/e+f=g&h") == "a%20b%2Ac~d%2Fe%2Bf%3Dg%26h")
        #expect(V3Signer.percentEncode("中") == "%E4%B8%AD")
        #expect(V3Signer.percentEncode("AZaz09-_.~") == "AZaz09-_.~")
        #expect(V3Signer.canonicalQuery(["b": "2", "B": "1", "a": ""]) == "B=1&a=&b=2")
    }

    @Test func sha256MatchesFIPS180Vectors() {
        #expect(Crypto.sha256Hex([UInt8]()) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(
            Crypto.sha256Hex(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        // 56 bytes: the padding spills into a second block.
        #expect(
            Crypto.sha256Hex(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8))
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        #expect(
            Crypto.sha256Hex([UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000))
                == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test func sha256OfEveryLengthAroundTheBlockBoundaries() {
        // The digests of the messages of length 0 to 200 (bytes (7i + 3) mod 256), concatenated and
        // hashed once more; the expected value is Python's hashlib over the same messages.
        var digests: [UInt8] = []
        for length in 0...200 {
            digests += Crypto.sha256((0..<length).map { UInt8((($0 * 7) + 3) % 256) })
        }
        #expect(Crypto.sha256Hex(digests) == "3275febb4612d86d586eb9f11cd21e648a9fc7d95e0f6b8d362786e28c9c5b79")
    }

    @Test func hmacMatchesRFC4231Vectors() {
        // Test cases 1, 2 and 6 (a key longer than the block, hashed first).
        #expect(
            Crypto.hmacSHA256Hex(key: [UInt8](repeating: 0x0b, count: 20), Array("Hi There".utf8))
                == "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7")
        #expect(
            Crypto.hmacSHA256Hex(key: Array("Jefe".utf8), Array("what do ya want for nothing?".utf8))
                == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
        #expect(
            Crypto.hmacSHA256Hex(
                key: [UInt8](repeating: 0xaa, count: 131),
                Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8))
                == "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54")
    }

    /// Keys of one block less, exactly one block, and one more: only a key longer than the block is
    /// hashed first (a `>=` there changes the 64-byte case). Expected values: Python's hmac.
    @Test(arguments: [
        (63, "5946ea4d3e55eceaf9e9695a85edc3bd05079fef6f0e7caec3d2bc0e7739c07d"),
        (64, "de998d45f7c7fde73ead9653f573d72da94176188877fbf4f343e1b33ad80383"),
        (65, "d82042d695085049145ab18f4ac3130a8f6d3138f8e581c3faa1c3eabcf62c8b"),
    ])
    func hmacKeysAroundTheBlockSize(_ length: Int, _ expected: String) {
        let key = (0..<length).map { UInt8($0) }
        #expect(Crypto.hmacSHA256Hex(key: key, Array("docker-credential-acr-helper".utf8)) == expected)
    }

    @Test func noncesAreFreshHex() {
        let nonces = (0..<100).map { _ in Crypto.randomHex(byteCount: 16) }
        #expect(Set(nonces).count == 100 && nonces.allSatisfy { $0.count == 32 })
    }
}
