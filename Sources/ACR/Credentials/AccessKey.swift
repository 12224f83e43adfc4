/// An Alibaba Cloud AccessKey (or STS credentials), with the RAM role to assume where one is set.
public struct AccessKey: Sendable, Equatable {
    public var id: String
    public var secret: String
    /// Present for STS credentials.
    public var securityToken: String?

    public init(id: String, secret: String, securityToken: String? = nil) {
        self.id = id
        self.secret = secret
        self.securityToken = securityToken
    }

    /// The ID as it may be shown: `LTAI****ab12`.
    public var maskedID: String { Self.mask(id) }

    /// Whether a registry username is an AccessKey ID (`LTAI` and letters and digits), which
    /// `store` takes as "this is the key for the host", not a registry login.
    public static func looksLikeID(_ text: String) -> Bool {
        text.hasPrefix("LTAI") && (12...64).contains(text.count)
            && text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) }
    }

    /// Shows the first four and last four characters of an ID, never more than half of it.
    public static func mask(_ id: String) -> String {
        guard id.count >= 12 else { return String(id.prefix(2)) + "****" }
        return String(id.prefix(4)) + "****" + String(id.suffix(4))
    }

    var signingKey: V3Signer.Key {
        V3Signer.Key(accessKeyID: id, accessKeySecret: secret, securityToken: securityToken)
    }
}

/// Where a `get` found what it answers with.
public enum Credential: Sendable, Equatable {
    /// An AccessKey to mint a temporary password with; `origin` names the source for logs.
    case accessKey(AccessKey, origin: String)
    /// A fixed registry login, answered as it is.
    case login(RegistryLogin)
}
