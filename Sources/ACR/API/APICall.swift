import Crypto
import Glibc
import Logging

/// One Alibaba Cloud API operation, before signing.
struct APICall: Sendable {
    /// The action name (`x-acs-action`), such as `GetAuthorizationToken`.
    var action: String
    /// The API version (`x-acs-version`), such as `2018-12-01`.
    var version: String
    var method: String
    /// `/` for RPC-style APIs; the resource path (`/tokens`) for ROA ones.
    var path: String
    var query: [String: String] = [:]
    /// A form body (`application/x-www-form-urlencoded`), for calls that carry a token in it.
    var form: [String: String]? = nil
}

/// What came back from a successful exchange (any HTTP status) with the service.
struct APIReply: Sendable {
    var response: HTTPResponse
    /// The endpoint that answered.
    var endpoint: APIEndpoint
}

/// Calls Alibaba Cloud APIs: signs every try afresh (V3), sends it, and retries what may pass on a
/// second try (docs/design.md#deadlines-and-retries): network errors, 5xx and throttling, up to 3
/// tries with backoff and jitter, honouring `x-acs-retry-after` (at most 5 s), all within the
/// caller's deadline. An authentication error is never retried.
struct APIClient: Sendable {
    let transport: any HTTPTransport
    /// The bound on each try.
    let timeout: Duration
    /// The connect bound on a VPC endpoint, which may not exist in the region.
    let vpcConnectTimeout: Duration
    let logger: Logger
    /// The current time in Unix seconds, for `x-acs-date`.
    let now: @Sendable () -> Int
    /// A fresh nonce for each try.
    let nonce: @Sendable () -> String
    /// Waits between tries; the real one sleeps.
    let pause: @Sendable (Duration) -> Void

    static let maximumTries = 3
    static let retryAfterCap = Duration.seconds(5)

    init(
        transport: any HTTPTransport, timeout: Duration, logger: Logger,
        vpcConnectTimeout: Duration = .seconds(1),
        now: @escaping @Sendable () -> Int = { Int(time(nil)) },
        nonce: @escaping @Sendable () -> String = { Crypto.randomHex(byteCount: 16) },
        pause: @escaping @Sendable (Duration) -> Void = { duration in
            usleep(UInt32(min(duration / .microseconds(1), Double(UInt32.max))))
        }
    ) {
        self.transport = transport
        self.timeout = timeout
        self.vpcConnectTimeout = vpcConnectTimeout
        self.logger = logger
        self.now = now
        self.nonce = nonce
        self.pause = pause
    }

    /// Sends `call` to the first endpoint that can be reached.
    /// - Parameters:
    ///   - endpoints: in order; the next is tried only when one cannot be connected to.
    ///   - key: what signs it.
    ///   - deadline: when the whole operation must be over.
    ///   - describe: names the operation in errors ("mint a password for HOST").
    /// - Returns: the reply, whatever its status: the caller reads the body.
    /// - Throws: ``ACRError`` `.network` when no try got an answer, `.api` for throttling or server
    ///   errors that outlasted the retries.
    func send(
        _ call: APICall, to endpoints: [APIEndpoint], key: V3Signer.Key?, deadline: ContinuousClock.Instant,
        describe: String
    ) throws(ACRError) -> APIReply {
        // Signing loads libgcrypt; a system without it is told so, not crashed.
        if key != nil, let failure = Crypto.unavailable {
            throw ACRError(.network, "cannot \(describe): cannot load libgcrypt (\(failure)): install libgcrypt20")
        }
        var lastFailure: ACRError? = nil
        for (index, endpoint) in endpoints.enumerated() {
            let hasFallback = index < endpoints.count - 1
            do {
                return try sendWithRetries(call, to: endpoint, key: key, deadline: deadline, describe: describe)
            } catch let failure as EndpointUnreachable where hasFallback {
                logger.info(
                    "endpoint unreachable, trying the next",
                    metadata: ["endpoint": "\(endpoint)", "error": "\(failure)"])
                lastFailure = failure.error
            } catch let failure as EndpointUnreachable {
                throw failure.error
            } catch let error as ACRError {
                throw error
            } catch {
                throw ACRError(.network, "cannot \(describe): \(error)")
            }
        }
        throw lastFailure ?? ACRError(.network, "cannot \(describe): no API endpoint")
    }

    /// Thrown when an endpoint could not be connected to at all, so another may be tried.
    private struct EndpointUnreachable: Error, CustomStringConvertible {
        let error: ACRError
        var description: String { error.message }
    }

    private func sendWithRetries(
        _ call: APICall, to endpoint: APIEndpoint, key: V3Signer.Key?, deadline: ContinuousClock.Instant,
        describe: String
    ) throws -> APIReply {
        let clock = ContinuousClock()
        var attempt = 0
        while true {
            attempt += 1
            let remaining = try timeLeft(before: deadline, toDo: "\(describe): no answer from \(endpoint)")
            let request = signedRequest(call, endpoint: endpoint, key: key, timeout: min(timeout, remaining))
            let wait: Duration
            do {
                let response = try transport.send(request)
                logger.debug(
                    "API response",
                    metadata: ["action": "\(call.action)", "status": "\(response.status)", "try": "\(attempt)"])
                guard let delay = retryDelay(for: response, attempt: attempt) else {
                    return APIReply(response: response, endpoint: endpoint)
                }
                guard attempt < Self.maximumTries else {
                    throw APIErrorBody.error(from: response, describe: describe, endpoint: endpoint)
                }
                wait = delay
            } catch let error as TransportError {
                logger.debug("API request failed", metadata: ["action": "\(call.action)", "error": "\(error)"])
                let failure = ACRError(.network, "cannot \(describe): \(error.message): \(Self.fix(for: error.kind))")
                if error.kind == .tls || error.kind == .tooLarge { throw failure }
                // A VPC endpoint that cannot be connected to is not retried: the public one is next.
                if endpoint.isVPC && (error.kind == .connect || error.kind == .timeout) {
                    throw EndpointUnreachable(error: failure)
                }
                guard attempt < Self.maximumTries else {
                    if error.kind == .connect { throw EndpointUnreachable(error: failure) }
                    throw failure
                }
                wait = backoff(attempt: attempt)
            }
            guard clock.now.duration(to: deadline) > wait else {
                throw ACRError(
                    .network,
                    "cannot \(describe): \(endpoint) kept failing until the deadline "
                        + "(DOCKER_CREDENTIAL_ACR_HELPER_DEADLINE)")
            }
            pause(wait)
        }
    }

    /// The request for one try: a fresh date and nonce, signed.
    func signedRequest(_ call: APICall, endpoint: APIEndpoint, key: V3Signer.Key?, timeout: Duration) -> HTTPRequest {
        var own = [
            "host": endpoint.host, "x-acs-action": call.action, "x-acs-version": call.version,
            "accept": "application/json",
        ]
        let body = call.form.map { Array(V3Signer.canonicalQuery($0).utf8) } ?? []
        if call.form != nil { own["content-type"] = "application/x-www-form-urlencoded" }
        let unsigned = V3Signer.Request(
            method: call.method, path: call.path, query: call.query, headers: own, body: body)
        // Anonymous calls (AssumeRoleWithOIDC) carry no signature: the OIDC token is the proof.
        let headers = key.map { V3Signer.sign(unsigned, key: $0, date: Self.timestamp(now()), nonce: nonce()) } ?? own
        let query = V3Signer.canonicalQuery(call.query)
        let url = endpoint.baseURL + call.path + (query.isEmpty ? "" : "?" + query)
        return HTTPRequest(
            method: call.method, url: url, headers: headers, body: body,
            connectTimeout: endpoint.isVPC ? min(vpcConnectTimeout, timeout) : timeout, timeout: timeout)
    }

    /// What to do about a request that got no answer.
    private static func fix(for kind: TransportError.Kind) -> String {
        switch kind {
        case .connect: "check the network connection and any proxy (HTTPS_PROXY, NO_PROXY)"
        case .timeout: "the API did not answer in time (DOCKER_CREDENTIAL_ACR_HELPER_TIMEOUT); check the network"
        case .tls: "TLS verification failed: check the system's CA certificates (SSL_CERT_FILE) and any proxy"
        case .tooLarge: "that is not an answer of the API: check any proxy (HTTPS_PROXY)"
        case .other: "try again; if it persists, check the network and any proxy"
        }
    }

    /// How long to wait before another try of a response that may pass on one, or `nil`.
    private func retryDelay(for response: HTTPResponse, attempt: Int) -> Duration? {
        let throttled = response.status == 429 || APIErrorBody.parse(response.body)?.isThrottling == true
        guard throttled || response.status >= 500 || response.headers["x-acs-retry-after"] != nil else {
            return nil
        }
        if let text = response.headers["x-acs-retry-after"], let seconds = Double(text), seconds >= 0 {
            // Capped before it becomes a whole number: "1e300" or "inf" would not fit one.
            return .milliseconds(Int(min(seconds, Self.retryAfterCap / .seconds(1)) * 1000))
        }
        return backoff(attempt: attempt)
    }

    /// 200 ms, 400 ms, … with up to 100 ms of jitter, so that many helpers do not retry in step.
    private func backoff(attempt: Int) -> Duration {
        .milliseconds(200 << (attempt - 1)) + .milliseconds(Int.random(in: 0...100))
    }

    /// `yyyy-MM-ddTHH:mm:ssZ` in UTC.
    static func timestamp(_ seconds: Int) -> String {
        var time = time_t(seconds)
        var parts = tm()
        gmtime_r(&time, &parts)
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))T"
            + "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec))Z"
    }
}

/// What is left of `deadline` (the process's, or a mint's); when nothing is, the error saying that
/// `what` could not be done within it.
func timeLeft(before deadline: ContinuousClock.Instant, toDo what: String) throws(ACRError) -> Duration {
    let remaining = ContinuousClock.now.duration(to: deadline)
    guard remaining > .zero else {
        throw ACRError(.network, "cannot \(what) within the deadline (DOCKER_CREDENTIAL_ACR_HELPER_DEADLINE)")
    }
    return remaining
}
