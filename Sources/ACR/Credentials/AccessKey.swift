/// An Alibaba Cloud AccessKey (or STS credentials), with the RAM role to assume where one is set.
package struct AccessKey: Sendable, Equatable {
    package var id: String
    package var secret: String
    /// Present for STS credentials.
    package var securityToken: String?
    /// The RAM role to assume with this key before minting, for its narrower rights.
    package var role: RAMRole?

    package init(id: String, secret: String, securityToken: String? = nil, role: RAMRole? = nil) {
        self.id = id
        self.secret = secret
        self.securityToken = securityToken
        self.role = role
    }

    /// What minted passwords are recorded as minted by (`minted_by`): the role's ARN when there is
    /// one (its rights are what the password carries), else the key's ID.
    package var mintingIdentity: String { role?.arn ?? id }

    /// The ID as it may be shown: `LTAI****ab12`.
    package var maskedID: String { Self.mask(id) }

    /// Whether a registry username is an AccessKey ID (`LTAI` and letters and digits), which
    /// `store` takes as "this is the key for the host", not a registry login.
    package static func looksLikeID(_ text: String) -> Bool {
        text.hasPrefix("LTAI") && (12...64).contains(text.count)
            && text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) }
    }

    /// Shows the first four and last four characters of an ID, never more than half of it.
    package static func mask(_ id: String) -> String {
        guard id.count >= 12 else { return String(id.prefix(2)) + "****" }
        return String(id.prefix(4)) + "****" + String(id.suffix(4))
    }

    var signingKey: V3Signer.Key {
        V3Signer.Key(accessKeyID: id, accessKeySecret: secret, securityToken: securityToken)
    }
}

/// A RAM role assumed through STS `AssumeRole` (docs/alibaba-cloud.md#sts-and-other-credential-services).
package struct RAMRole: Sendable, Equatable {
    /// `acs:ram::<account>:role/<name>`.
    package var arn: String
    /// 2–64 characters of `[A-Za-z0-9.@_-]`; `nil` for the default.
    package var sessionName: String?
    package var externalID: String?
    /// A JSON policy narrowing the role further.
    package var policy: String?

    package init(arn: String, sessionName: String? = nil, externalID: String? = nil, policy: String? = nil) {
        self.arn = arn
        self.sessionName = sessionName
        self.externalID = externalID
        self.policy = policy
    }

    /// Whether `text` has the form of a role ARN.
    package static func isARN(_ text: String) -> Bool {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 5, parts[0] == "acs", parts[1] == "ram", parts[2].isEmpty,
            !parts[3].isEmpty, parts[3].allSatisfy({ $0.isASCII && $0.isNumber }), parts[4].hasPrefix("role/")
        else { return false }
        let name = parts[4].dropFirst("role/".count)
        return !name.isEmpty && name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-_.@/".contains($0)) }
    }

    /// Whether `text` is a session name STS accepts.
    package static func isSessionName(_ text: String) -> Bool {
        (2...64).contains(text.count)
            && text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || ".@_-".contains($0)) }
    }
}

/// Where a `get` found what it answers with.
package enum Credential: Sendable, Equatable {
    /// Something to mint a temporary password with; `origin` names the source for logs.
    case key(KeyMaterial, origin: String)
    /// A fixed registry login, answered as it is.
    case login(RegistryLogin)
}

/// What a password can be minted with, before any exchange: an AccessKey (perhaps with a role
/// to assume), or a way to get STS credentials (OIDC, the ECS instance role, a credentials URI).
package enum KeyMaterial: Sendable, Equatable {
    case accessKey(AccessKey)
    /// RRSA: an OIDC token file traded for a role's STS credentials (`AssumeRoleWithOIDC`).
    case oidc(OIDCRole)
    /// The RAM role of this ECS instance, from the instance metadata service.
    case ecsRole(name: String)
    /// `ALIBABA_CLOUD_CREDENTIALS_URI`: a URL answering STS credentials.
    case credentialsURI(String)

    /// What the passwords it mints are recorded as minted by (`minted_by`): they are reused only
    /// for the same.
    package var mintingIdentity: String {
        switch self {
        case .accessKey(let key): key.mintingIdentity
        case .oidc(let role): role.roleARN
        case .ecsRole(let name): "ecs-ram-role:\(name)"
        case .credentialsURI: "credentials-uri"
        }
    }

    /// How it may be shown in logs and messages: masked, never a secret.
    package var shown: String {
        switch self {
        case .accessKey(let key): key.maskedID + (key.role.map { " as \($0.arn)" } ?? "")
        case .oidc(let role): "OIDC as \(role.roleARN)"
        case .ecsRole(let name): "the ECS instance role \(name)"
        case .credentialsURI: "the credentials URI"
        }
    }
}

/// RRSA settings (`ALIBABA_CLOUD_ROLE_ARN`, `…_OIDC_PROVIDER_ARN`, `…_OIDC_TOKEN_FILE`).
package struct OIDCRole: Sendable, Equatable {
    package var roleARN: String
    package var providerARN: String
    /// Re-read on every exchange: the platform rotates it.
    package var tokenFile: String
    package var sessionName: String

    package init(roleARN: String, providerARN: String, tokenFile: String, sessionName: String) {
        self.roleARN = roleARN
        self.providerARN = providerARN
        self.tokenFile = tokenFile
        self.sessionName = sessionName
    }
}
