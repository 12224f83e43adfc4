/// Where an Alibaba Cloud API is called: scheme, host and port.
package struct APIEndpoint: Sendable, Equatable, CustomStringConvertible {
    /// `https://cr.cn-hangzhou.aliyuncs.com`, or an override such as `http://127.0.0.1:8080`.
    package let baseURL: String
    /// The `host` header, which is signed: the host and, when the URL names one, the port.
    package let host: String
    /// Whether this is a VPC endpoint, tried with a short connect time-out.
    package let isVPC: Bool

    package var description: String { baseURL }

    init(baseURL: String, host: String, isVPC: Bool) {
        self.baseURL = baseURL
        self.host = host
        self.isVPC = isVPC
    }

    /// The ACR API endpoints for `registry`, in the order to try them: for a VPC registry the
    /// VPC endpoint first (not every region has one), then the public one.
    package static func crEndpoints(for registry: ACRRegistry, override: APIEndpoint?) -> [APIEndpoint] {
        if let override { return [override] }
        let publicHost = "cr.\(registry.region).aliyuncs.com"
        let endpoint = APIEndpoint(baseURL: "https://" + publicHost, host: publicHost, isVPC: false)
        guard registry.vpc else { return [endpoint] }
        let vpcHost = "cr-vpc.\(registry.region).aliyuncs.com"
        return [APIEndpoint(baseURL: "https://" + vpcHost, host: vpcHost, isVPC: true), endpoint]
    }

    /// An endpoint from a setting: `https://host[:port]`, or plain `http` for a loopback address only,
    /// so that credentials and signatures never cross a network in the clear.
    /// - Throws: ``ACRError`` `.invalidSetting` naming `variable`.
    package init(overriding url: String, variable: String) throws(ACRError) {
        let invalid = ACRError(
            .invalidSetting,
            "\(variable) must be https://HOST[:PORT] (plain http only for 127.0.0.1, ::1 or localhost)")
        let scheme: String
        if url.hasPrefix("https://") {
            scheme = "https"
        } else if url.hasPrefix("http://") {
            scheme = "http"
        } else {
            throw invalid
        }
        let rest = url.dropFirst(scheme.count + 3)
        let authority = String(rest.prefix { $0 != "/" })
        guard rest.dropFirst(authority.count).allSatisfy({ $0 == "/" }),
            let address = try? ServerAddress(parsing: authority)
        else { throw invalid }
        if scheme == "http" && !Self.isLoopback(address.host) { throw invalid }
        self.init(baseURL: "\(scheme)://\(address)", host: address.description, isVPC: false)
    }

    /// Whether `host` is this machine: `localhost`, `::1`, or an IPv4 address in 127.0.0.0/8 as
    /// four numbers (not a name such as `127.evil.example.com`, which DNS may send anywhere).
    static func isLoopback(_ host: String) -> Bool {
        if host == "localhost" || host == "[::1]" || host == "::1" { return true }
        guard let address = ipv4(host) else { return false }
        return address[0] == 127
    }

    /// The four numbers of a dotted IPv4 address (each 0–255, decimal, no leading zeros), or `nil`.
    static func ipv4(_ host: String) -> [UInt8]? {
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        let numbers = parts.compactMap { part -> UInt8? in
            guard !part.isEmpty, part.count <= 3, part.allSatisfy({ $0.isASCII && $0.isNumber }),
                part == "0" || !part.hasPrefix("0")
            else { return nil }
            return UInt8(part)
        }
        return parts.count == 4 && numbers.count == 4 ? numbers : nil
    }
}
