/// A registry host as docker names it, normalised: the key every keyring item is stored under.
///
/// `https://Registry.Example.com:5000/v2/` and `registry.example.com:5000` are the same address.
/// Scheme, path, query and trailing `/` are dropped, the host is lower-cased and the port kept.
/// Anything a host name cannot hold is refused rather than stored under a key nobody can ask for:
/// user information (`user:password@host`), spaces, control characters, empty labels.
package struct ServerAddress: Sendable, Hashable, CustomStringConvertible {
    /// The host name or IP literal (IPv6 in brackets), lower-case, without the port.
    package let host: String
    /// The port, if the URL named one.
    package let port: Int?

    /// `host` or `host:port`: the form stored in the keyring's `server` attribute.
    package var description: String { port.map { "\(host):\($0)" } ?? host }

    /// Parses a server URL the way docker passes it to a credential helper.
    /// - Parameter serverURL: a bare host, `host:port`, or a URL such as `https://host/path`.
    /// - Throws: ``ACRError`` with code `.invalidServerURL`, whose message never repeats the input
    ///   (it may carry a password in its user information).
    package init(parsing serverURL: String) throws(ACRError) {
        var rest = Substring(serverURL)
        if let schemeEnd = rest.firstRange(of: "://") {
            let scheme = rest[..<schemeEnd.lowerBound]
            guard !scheme.isEmpty, scheme.allSatisfy({ $0.isASCII && ($0.isLetter || "+.-".contains($0)) }) else {
                throw Self.invalid("the scheme before :// is not a URL scheme")
            }
            rest = rest[schemeEnd.upperBound...]
        }
        if let pathStart = rest.firstIndex(where: { "/?#".contains($0) }) {
            rest = rest[..<pathStart]
        }
        if rest.contains("@") {
            throw Self.invalid("it must not carry a user name or password (user@host)")
        }
        guard !rest.isEmpty else { throw Self.invalid("it names no host") }

        var hostPart = rest
        var portPart: Substring? = nil
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else { throw Self.invalid("an IPv6 address lacks its ]") }
            hostPart = rest[...close]
            let after = rest[rest.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw Self.invalid("unexpected text after the IPv6 address") }
                portPart = after.dropFirst()
            }
            let inner = hostPart.dropFirst().dropLast()
            guard !inner.isEmpty, inner.allSatisfy({ $0.isHexDigit || $0 == ":" || $0 == "." }) else {
                throw Self.invalid("the IPv6 address holds characters an address cannot")
            }
        } else {
            let pieces = rest.split(separator: ":", omittingEmptySubsequences: false)
            guard pieces.count <= 2 else { throw Self.invalid("it has more than one port separator") }
            hostPart = pieces[0]
            if pieces.count == 2 { portPart = pieces[1] }
            try Self.checkHostName(hostPart)
        }

        var port: Int? = nil
        if let portPart {
            guard (1...5).contains(portPart.count), portPart.allSatisfy({ $0.isASCII && $0.isNumber }),
                let number = Int(portPart), (1...65535).contains(number)
            else { throw Self.invalid("the port is not a number from 1 to 65535") }
            port = number
        }
        self.host = hostPart.lowercased()
        self.port = port
    }

    /// Letters, digits, `-`, `_` and `.`, in non-empty labels, at most 253 characters.
    private static func checkHostName(_ name: Substring) throws(ACRError) {
        guard !name.isEmpty else { throw invalid("it names no host") }
        guard name.utf8.count <= 253 else { throw invalid("the host name is longer than 253 characters") }
        guard name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }) else {
            throw invalid("the host name holds characters no host name can (only letters, digits, - _ and .)")
        }
        guard !name.split(separator: ".", omittingEmptySubsequences: false).contains(where: \.isEmpty) else {
            throw invalid("the host name has an empty label (.. or a leading or trailing .)")
        }
    }

    private static func invalid(_ reason: String) -> ACRError {
        ACRError(.invalidServerURL, "invalid registry server URL: \(reason)")
    }
}
