import Foundation
import Logging
import TestSupport
import Testing

@testable import ACR

/// The stub refuses what the real service refuses, so a test that passes against it means the
/// helper's requests would be signed right: these send requests over libcurl with what a broken
/// helper would do (a reused nonce, a stale date, a wrong secret, STS without its token).
@Suite struct APIStubTests {
    static let key = ACRAPIStub.Key(id: "LTAI5tStubCheckKey001", secret: "StubCheckSecret0123456789ab")
    static let sts = ACRAPIStub.Key(id: "STS.NStubCheck", secret: "StsSecret", securityToken: "CAIS-token")

    let stub: ACRAPIStub
    let endpoint: APIEndpoint
    let transport = CurlTransport(environment: [:], userAgent: "docker-credential-acr-helper-tests")

    init() throws {
        stub = try ACRAPIStub(keys: [Self.key, Self.sts])
        endpoint = try APIEndpoint(overriding: stub.endpoint, variable: "test")
    }

    /// A signed personal-token request with a fixed nonce and time.
    func request(
        key: ACRAPIStub.Key, secret: String? = nil, token: String?? = .none, nonce: String,
        time: Int = Int(Date().timeIntervalSince1970)
    ) -> HTTPRequest {
        let client = APIClient(
            transport: transport, timeout: .seconds(5), logger: Logger(label: "test"), now: { time }, nonce: { nonce })
        let signing = V3Signer.Key(
            accessKeyID: key.id, accessKeySecret: secret ?? key.secret, securityToken: token ?? key.securityToken)
        return client.signedRequest(
            APICall(action: "GetAuthorizationToken", version: "2016-06-07", method: "GET", path: "/tokens"),
            endpoint: endpoint, key: signing, timeout: .seconds(5))
    }

    func code(_ response: HTTPResponse) -> String? {
        (try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any])?["Code"] as? String
    }

    @Test func acceptsAGoodSignatureOnceAndRefusesTheSameNonceAgain() throws {
        let good = request(key: Self.key, nonce: "0123456789abcdef0123456789abcdef")
        let first = try transport.send(good)
        #expect(first.status == 200, "\(String(decoding: first.body, as: UTF8.self))")
        #expect(first.headers["date"] != nil)
        let replay = try transport.send(good)
        #expect(replay.status == 400 && code(replay) == "SignatureNonceUsed")
    }

    @Test func refusesADateMoreThanFifteenMinutesOff() throws {
        let stale = request(key: Self.key, nonce: "stale-date-nonce", time: Int(Date().timeIntervalSince1970) - 16 * 60)
        let response = try transport.send(stale)
        #expect(response.status == 400 && code(response) == "InvalidTimeStamp.Expired")
    }

    @Test func refusesAWrongSecretAndAnUnknownKey() throws {
        let wrong = try transport.send(request(key: Self.key, secret: "not-it", nonce: "n-wrong"))
        #expect(wrong.status == 400 && code(wrong) == "SignatureDoesNotMatch")
        let unknown = ACRAPIStub.Key(id: "LTAI5tNobodyKnowsMe01", secret: "x")
        let missing = try transport.send(request(key: unknown, nonce: "n-unknown"))
        #expect(missing.status == 404 && code(missing) == "InvalidAccessKeyId.NotFound")
    }

    @Test func refusesAlteredRequests() throws {
        var altered = request(key: Self.key, nonce: "n-altered")
        altered.url += "?InstanceId=cri-sneaky"
        let response = try transport.send(altered)
        #expect(response.status == 400 && code(response) == "SignatureDoesNotMatch")
    }

    @Test func stsCredentialsNeedTheirToken() throws {
        let good = try transport.send(request(key: Self.sts, nonce: "n-sts"))
        #expect(good.status == 200)
        let without = try transport.send(request(key: Self.sts, token: .some(nil), nonce: "n-sts-missing"))
        #expect(without.status == 400 && code(without) == "MissingSecurityToken")
    }

    @Test func logsEveryRequest() throws {
        _ = try transport.send(request(key: Self.key, nonce: "n-log"))
        let seen = try #require(stub.requests.first)
        #expect(seen.action == "GetAuthorizationToken" && seen.key == Self.key.id && seen.status == 200)
    }
}
