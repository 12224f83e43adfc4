/// One HTTP exchange, as the API clients need it.
package struct HTTPRequest: Sendable, Equatable {
    package var method: String
    /// The full URL.
    package var url: String
    /// Header names as they go on the wire.
    package var headers: [String: String]
    package var body: [UInt8]
    /// The bound on connecting (the VPC endpoint is tried with a short one).
    package var connectTimeout: Duration
    /// The bound on the whole exchange.
    package var timeout: Duration
    /// Never through a proxy (the instance metadata service is on the link itself).
    package var noProxy: Bool

    package init(
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
package struct HTTPResponse: Sendable, Equatable {
    package var status: Int
    /// Header names lower-cased; a repeated header keeps its last value.
    package var headers: [String: String]
    package var body: [UInt8]

    package init(status: Int, headers: [String: String] = [:], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }
}

/// A failure below HTTP: nothing usable came back.
package struct TransportError: Error, Sendable, Equatable, CustomStringConvertible {
    package enum Kind: Sendable, Equatable {
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

    package let kind: Kind
    /// What failed, for which URL: never a header or body.
    package let message: String

    package init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    package var description: String { message }
}

/// Sends HTTP requests: libcurl in the helper, a script in unit tests.
package protocol HTTPTransport: Sendable {
    /// - Throws: ``TransportError`` when no response came back.
    func send(_ request: HTTPRequest) throws(TransportError) -> HTTPResponse
}
