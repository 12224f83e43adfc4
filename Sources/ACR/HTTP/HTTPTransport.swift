/// One HTTP exchange, as the API clients need it.
public struct HTTPRequest: Sendable, Equatable {
    public var method: String
    /// The full URL.
    public var url: String
    /// Header names as they go on the wire.
    public var headers: [String: String]
    public var body: [UInt8]
    /// The bound on connecting (the VPC endpoint is tried with a short one).
    public var connectTimeout: Duration
    /// The bound on the whole exchange.
    public var timeout: Duration
    /// Never through a proxy (the instance metadata service is on the link itself).
    public var noProxy: Bool

    public init(
        method: String, url: String, headers: [String: String] = [:], body: [UInt8] = [],
        connectTimeout: Duration = .seconds(5), timeout: Duration = .seconds(10), noProxy: Bool = false
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.connectTimeout = connectTimeout
        self.timeout = timeout
        self.noProxy = noProxy
    }
}

/// An HTTP response.
public struct HTTPResponse: Sendable, Equatable {
    public var status: Int
    /// Header names lower-cased; a repeated header keeps its last value.
    public var headers: [String: String]
    public var body: [UInt8]

    public init(status: Int, headers: [String: String] = [:], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }
}

/// A failure below HTTP: nothing usable came back.
public struct TransportError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// The server could not be reached (name resolution, connection refused, no route).
        case connect
        /// A time-out, while connecting or later.
        case timeout
        /// TLS failed, a certificate among the causes: never retried.
        case tls
        /// The answer was larger than any the API gives: never retried.
        case tooLarge
        /// Anything else (connection reset, a malformed response).
        case other
    }

    public let kind: Kind
    /// What failed, for which URL: never a header or body.
    public let message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}

/// Sends HTTP requests: libcurl in the helper, a script in unit tests.
public protocol HTTPTransport: Sendable {
    /// - Throws: ``TransportError`` when no response came back.
    func send(_ request: HTTPRequest) throws(TransportError) -> HTTPResponse
}
