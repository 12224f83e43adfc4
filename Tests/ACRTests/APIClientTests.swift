import Logging
import Synchronization
import Testing

@testable import ACR

/// Retries, endpoints and signing per try, over a scripted transport (no network, no waiting).
@Suite struct APIClientTests {
    final class ScriptedTransport: HTTPTransport, @unchecked Sendable {
        private let lock = Mutex<([Result<HTTPResponse, TransportError>], [HTTPRequest])>(([], []))
        init(_ script: [Result<HTTPResponse, TransportError>]) { lock.withLock { $0.0 = script } }
        var sent: [HTTPRequest] { lock.withLock { $0.1 } }

        func send(_ request: HTTPRequest) throws(TransportError) -> HTTPResponse {
            let next: Result<HTTPResponse, TransportError> = lock.withLock { state in
                state.1.append(request)
                return state.0.isEmpty ? .failure(TransportError(.other, "script ran out")) : state.0.removeFirst()
            }
            return try next.get()
        }
    }

    final class Pauses: @unchecked Sendable {
        let recorded = Mutex<[Duration]>([])
        var all: [Duration] { recorded.withLock { $0 } }
    }

    static let ok = HTTPResponse(status: 200, body: Array(#"{"IsSuccess":true}"#.utf8))
    static let call = APICall(
        action: "GetAuthorizationToken", version: "2018-12-01", method: "POST", path: "/",
        query: ["InstanceId": "cri-x"])
    static let key = V3Signer.Key(accessKeyID: "LTAI5tTestAccessKeyId", accessKeySecret: "secret")
    static let publicEndpoint = APIEndpoint.crEndpoints(
        for: ACRRegistry(edition: .personal, region: "cn-hangzhou", vpc: false), override: nil)

    func client(_ transport: ScriptedTransport, _ pauses: Pauses = Pauses()) -> APIClient {
        let counter = Mutex(0)
        return APIClient(
            transport: transport, timeout: .seconds(10), logger: Logger(label: "test"),
            now: {
                1_767_323_045
                    + counter.withLock {
                        $0 += 1; return $0
                    }
            },
            nonce: { "nonce-\(counter.withLock { $0 })" },
            pause: { duration in pauses.recorded.withLock { $0.append(duration) } })
    }

    func send(_ client: APIClient, endpoints: [APIEndpoint] = publicEndpoint) throws(ACRError) -> APIReply {
        try client.send(
            Self.call, to: endpoints, key: Self.key, deadline: .now + .seconds(30), describe: "test the client")
    }

    @Test func signsEachTryAfreshAndRetriesServerErrors() throws {
        let transport = ScriptedTransport([
            .success(HTTPResponse(status: 503)), .failure(TransportError(.connect, "refused")), .success(Self.ok),
        ])
        let pauses = Pauses()
        let reply = try send(client(transport, pauses))
        #expect(reply.response.status == 200)
        let sent = transport.sent
        #expect(sent.count == 3)
        #expect(Set(sent.map { $0.headers["x-acs-signature-nonce"] }).count == 3)
        #expect(Set(sent.map { $0.headers["authorization"] }).count == 3)
        #expect(sent.allSatisfy { $0.url == "https://cr.cn-hangzhou.aliyuncs.com/?InstanceId=cri-x" })
        #expect(sent.allSatisfy { $0.headers["host"] == "cr.cn-hangzhou.aliyuncs.com" })
        let waits = pauses.all
        #expect(waits.count == 2)
        #expect(waits[0] >= .milliseconds(200) && waits[0] <= .milliseconds(300))
        #expect(waits[1] >= .milliseconds(400) && waits[1] <= .milliseconds(500))
    }

    /// Any number, however large (it comes from the network), waits at most five seconds.
    @Test(arguments: ["60", "1e300", "inf", "9223372036854775807"])
    func honoursRetryAfterButNoLongerThanFiveSeconds(_ retryAfter: String) throws {
        let throttled = HTTPResponse(
            status: 400, headers: ["x-acs-retry-after": retryAfter],
            body: Array(#"{"Code":"Throttling.User","Message":"Request was denied due to user flow control."}"#.utf8))
        let transport = ScriptedTransport([.success(throttled), .success(Self.ok)])
        let pauses = Pauses()
        _ = try send(client(transport, pauses))
        #expect(pauses.all == [.seconds(5)])
    }

    @Test func givesUpAfterThreeTriesWithTheServicesMessage() {
        let throttled = HTTPResponse(
            status: 429, body: Array(#"{"Code":"Throttling","Message":"Request was denied.","RequestId":"R1"}"#.utf8))
        let transport = ScriptedTransport(Array(repeating: .success(throttled), count: 5))
        let error = #expect(throws: ACRError.self) { try send(client(transport)) }
        #expect(transport.sent.count == 3)
        #expect(error?.message.contains("Throttling (HTTP 429): Alibaba Cloud throttled the requests") == true)
        #expect(error?.message.contains("request ID R1") == true)
    }

    @Test func neverRetriesARefusal() throws {
        let refused = HTTPResponse(status: 400, body: Array(#"{"Code":"SignatureDoesNotMatch"}"#.utf8))
        let transport = ScriptedTransport([.success(refused), .success(Self.ok)])
        let reply = try send(client(transport))
        #expect(reply.response.status == 400)
        #expect(transport.sent.count == 1)
    }

    @Test func neverRetriesATLSFailure() {
        let transport = ScriptedTransport([.failure(TransportError(.tls, "certificate problem")), .success(Self.ok)])
        let error = #expect(throws: ACRError.self) { try send(client(transport)) }
        #expect(transport.sent.count == 1)
        #expect(error?.message.contains("TLS verification failed") == true)
    }

    @Test func aVPCEndpointThatCannotBeReachedFallsBackToThePublicOneAtOnce() throws {
        let vpc = APIEndpoint.crEndpoints(
            for: ACRRegistry(edition: .personal, region: "cn-hangzhou", vpc: true), override: nil)
        #expect(
            vpc.map(\.baseURL) == ["https://cr-vpc.cn-hangzhou.aliyuncs.com", "https://cr.cn-hangzhou.aliyuncs.com"])
        let transport = ScriptedTransport([.failure(TransportError(.connect, "no route")), .success(Self.ok)])
        let pauses = Pauses()
        let reply = try send(client(transport, pauses), endpoints: vpc)
        #expect(reply.endpoint.baseURL == "https://cr.cn-hangzhou.aliyuncs.com")
        #expect(
            transport.sent.map(\.url) == [
                "https://cr-vpc.cn-hangzhou.aliyuncs.com/?InstanceId=cri-x",
                "https://cr.cn-hangzhou.aliyuncs.com/?InstanceId=cri-x",
            ])
        #expect(transport.sent[0].connectTimeout == .seconds(1) && transport.sent[1].connectTimeout == .seconds(10))
        #expect(transport.sent[1].headers["host"] == "cr.cn-hangzhou.aliyuncs.com")
        #expect(pauses.all.isEmpty)
    }

    @Test func theDeadlineEndsTheRetries() {
        let transport = ScriptedTransport(Array(repeating: .success(HTTPResponse(status: 500)), count: 3))
        let error = #expect(throws: ACRError.self) {
            try client(transport).send(
                Self.call, to: Self.publicEndpoint, key: Self.key, deadline: .now + .milliseconds(100),
                describe: "test the client")
        }
        #expect(transport.sent.count == 1)
        #expect(error?.message.contains("DOCKER_CREDENTIAL_ACR_HELPER_DEADLINE") == true)
    }

    @Test func timestampsAreUTC() {
        #expect(APIClient.timestamp(1_767_323_045) == "2026-01-02T03:04:05Z")
        #expect(APIClient.timestamp(0) == "1970-01-01T00:00:00Z")
    }

    @Test(arguments: [
        ("https://cr.example.com", "https://cr.example.com", "cr.example.com"),
        ("https://cr.example.com:8443/", "https://cr.example.com:8443", "cr.example.com:8443"),
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080", "127.0.0.1:8080"),
        ("http://localhost:9", "http://localhost:9", "localhost:9"),
    ])
    func endpointOverrides(_ url: String, _ base: String, _ host: String) throws {
        let endpoint = try APIEndpoint(overriding: url, variable: "X")
        #expect(endpoint.baseURL == base && endpoint.host == host)
    }

    @Test(arguments: [
        "http://cr.example.com", "ftp://127.0.0.1", "https://", "https://a b", "https://x/path", "cr.example.com",
        // Names that only look like loopback addresses: DNS sends them anywhere, in plain http.
        "http://127.evil.example.com", "http://127.0.0.1.evil.example", "http://127.0.0.256", "http://localhost.evil",
    ])
    func endpointOverridesThatWouldLeakOrMakeNoSense(_ url: String) {
        #expect(throws: ACRError.self) { try APIEndpoint(overriding: url, variable: "X") }
    }
}
