/// An ACR registry host and what it takes to mint its passwords (docs/design.md#registries).
package struct ACRRegistry: Sendable, Equatable, CustomStringConvertible {
    /// Which API mints the password, and for which instance.
    package enum Edition: Sendable, Equatable {
        /// Personal Edition (classic): cr 2016-06-07 `GET /tokens` in the region.
        case personal
        /// Enterprise Edition known by its name in the host: `ListInstance` finds the ID.
        case enterprise(name: String)
        /// An instance whose ID is known: a `crpi-` Personal instance, a configured domain, or
        /// the instance variables. cr 2018-12-01 `GetAuthorizationToken(InstanceId)` only.
        case instance(id: String)
    }

    package let edition: Edition
    /// The region, such as `cn-hangzhou`.
    package let region: String
    /// Whether the host is a VPC endpoint, so the API's VPC endpoint is tried first.
    package let vpc: Bool

    package init(edition: Edition, region: String, vpc: Bool) {
        self.edition = edition
        self.region = region
        self.vpc = vpc
    }

    package var description: String {
        switch edition {
        case .personal: "ACR Personal Edition in \(region)"
        case .enterprise(let name): "ACR Enterprise instance \(name) in \(region)"
        case .instance(let id): "ACR instance \(id) in \(region)"
        }
    }
}

/// Tells ACR registry hosts from every other host: a pure function of the host name, the
/// configured domains and the instance variables. Every pattern is matched whole, so that
/// `registry.cn-hangzhou.aliyuncs.com.evil.example` is nobody's ACR registry.
package enum RegistryHosts {
    /// The ACR registry `server` is, or `nil`.
    /// - Parameters:
    ///   - server: the normalised host (the port does not matter, except to look up a configured
    ///     domain, where `host:port` is tried before `host`).
    ///   - configured: domains from the config file.
    ///   - pinned: the instance variables (`DOCKER_CREDENTIAL_ACR_HELPER_INSTANCE_ID`/`_REGION`),
    ///     which make every host that instance, as the Go helper does.
    package static func registry(
        for server: ServerAddress, configured: [String: ConfiguredRegistry] = [:], pinned: ConfiguredRegistry? = nil
    ) -> ACRRegistry? {
        let systemDomain = systemRegistry(server.host)
        if let pinned {
            return ACRRegistry(
                edition: .instance(id: pinned.instanceID), region: pinned.region, vpc: systemDomain?.vpc ?? false)
        }
        if let entry = configured[server.description] ?? configured[server.host] {
            return ACRRegistry(
                edition: .instance(id: entry.instanceID), region: entry.region, vpc: systemDomain?.vpc ?? false)
        }
        return systemDomain
    }

    /// The Alibaba Cloud registry domains, by their labels.
    static func systemRegistry(_ host: String) -> ACRRegistry? {
        let labels = host.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard labels.count >= 4, labels.suffix(2) == ["aliyuncs", "com"] else { return nil }
        let rest = Array(labels.dropLast(2))
        switch rest.count {
        case 2:
            // registry[-intl][-vpc|-internal].{region}.aliyuncs.com
            return personal(rest[0], region: rest[1])
        case 3 where rest[1] == "distributed":
            // registry[-intl][-vpc|-internal].distributed.{region}.aliyuncs.com
            return personal(rest[0], region: rest[2])
        case 3 where rest[2] == "cr":
            // {name}-registry[-vpc].{region}.cr.aliyuncs.com
            return enterprise(rest[0], region: rest[1])
        case 4 where rest[2] == "personal" && rest[3] == "cr":
            // crpi-{id}[-vpc].{region}.personal.cr.aliyuncs.com
            return personalInstance(rest[0], region: rest[1])
        default:
            return nil
        }
    }

    private static func personal(_ label: String, region: String) -> ACRRegistry? {
        let forms: [String: Bool] = [
            "registry": false, "registry-vpc": true, "registry-internal": false,
            "registry-intl": false, "registry-intl-vpc": true, "registry-intl-internal": false,
        ]
        guard let vpc = forms[label], isRegion(region) else { return nil }
        return ACRRegistry(edition: .personal, region: region, vpc: vpc)
    }

    private static func enterprise(_ label: String, region: String) -> ACRRegistry? {
        let (base, vpc) = label.hasSuffix("-registry-vpc") ? (label.dropLast(4), true) : (Substring(label), false)
        guard base.hasSuffix("-registry"), isRegion(region) else { return nil }
        let name = base.dropLast("-registry".count)
        guard isName(name) else { return nil }
        return ACRRegistry(edition: .enterprise(name: String(name)), region: region, vpc: vpc)
    }

    private static func personalInstance(_ label: String, region: String) -> ACRRegistry? {
        let (base, vpc) = label.hasSuffix("-vpc") ? (label.dropLast(4), true) : (Substring(label), false)
        guard base.hasPrefix("crpi-"), isRegion(region) else { return nil }
        let id = base.dropFirst("crpi-".count)
        guard !id.isEmpty, id.allSatisfy({ $0.isASCII && ($0.isLowercase || $0.isNumber) }) else { return nil }
        return ACRRegistry(edition: .instance(id: String(base)), region: region, vpc: vpc)
    }

    /// The first part of every Alibaba Cloud region ID: the area it is in.
    static let regionAreas: Set<Substring> = ["cn", "ap", "us", "eu", "me", "na", "sa", "af", "rus"]

    /// A region ID of Alibaba Cloud's form: an area (``regionAreas``), then one or more parts of
    /// lower-case letters and digits, each after a `-` (`cn-hangzhou`, `cn-shanghai-finance-1`,
    /// `ap-southeast-7`, `rus-west-1`). Not any `word-word`: `oss-cn-hangzhou` names an OSS
    /// endpoint, and a host `registry-vpc.oss-cn-hangzhou.aliyuncs.com` must not send a signed
    /// request to `cr-vpc.oss-cn-hangzhou.aliyuncs.com`.
    package static func isRegion(_ text: some StringProtocol) -> Bool {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        return parts.count >= 2 && regionAreas.contains(Substring(parts[0]))
            && parts.dropFirst().allSatisfy { part in
                !part.isEmpty && part.allSatisfy { $0.isASCII && ($0.isLowercase || $0.isNumber) }
            }
    }

    /// An Enterprise instance name: lower-case letters, digits and inner `-`.
    private static func isName(_ text: some StringProtocol) -> Bool {
        !text.isEmpty && !text.hasPrefix("-") && !text.hasSuffix("-")
            && text.allSatisfy { $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "-") }
    }
}

/// A registry host pinned to an instance: from the config file, or the instance variables.
package struct ConfiguredRegistry: Sendable, Equatable, Decodable {
    package let instanceID: String
    package let region: String

    package init(instanceID: String, region: String) {
        self.instanceID = instanceID
        self.region = region
    }

    enum CodingKeys: String, CodingKey {
        case instanceID = "instance_id"
        case region
    }
}
