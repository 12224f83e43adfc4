import FileSystem
import Logging
import SecretStore

/// One place credentials may come from (docs/design.md#credential-sources). Sources are asked in
/// order for each `get`; the first that answers wins, so new sources are added to the list without
/// touching its callers.
package protocol CredentialSource: Sendable {
    /// Names the source in logs: "environment", "keyring (host key)", …
    var name: String { get }

    /// Whether the source lives in the keyring. One that does not (the environment) mints without
    /// the token cache when the keyring cannot be read.
    var usesKeyring: Bool { get }

    /// Whether the source is still asked after the keyring failed (docs/design.md#credential-sources): sources outside
    /// the keyring that need no user's file (environment, OIDC, ECS, URI).
    var answersWhenKeyringFails: Bool { get }

    /// What this source has for the request's host, or `nil`.
    /// - Throws: ``ACRError`` when the source holds something for the host but cannot give it
    ///   (the keyring is locked, an item is damaged).
    func credential(for request: CredentialRequest) throws(ACRError) -> Credential?
}

/// The host a `get` is for, and the keyring's items for it, read at most once however many
/// sources ask (the Secret Service is the slow part of a `get`).
package final class CredentialRequest {
    package let server: ServerAddress
    /// The ACR registry the host is, or `nil` for any other registry.
    package let registry: ACRRegistry?
    private let keyring: CredentialKeyring
    private var hostItems: HostItems?
    private var defaultKey: AccessKey??
    /// The default key's item, read with the host's items and not decoded yet.
    private var defaultKeyItem: SecretItem??

    package init(server: ServerAddress, registry: ACRRegistry?, keyring: CredentialKeyring) {
        self.server = server
        self.registry = registry
        self.keyring = keyring
    }

    /// The keyring's items for exactly this host.
    /// - Parameter fresh: read them again, rather than answer what an earlier call read.
    package func itemsForHost(fresh: Bool = false) throws(ACRError) -> HostItems {
        if let hostItems, !fresh { return hostItems }
        let items: HostItems
        if registry != nil && hostItems == nil && defaultKey == nil {
            // An ACR host: its items and the default key in one round.
            let (read, keyItem) = try keyring.itemsAndDefaultKey(for: server)
            items = read
            defaultKeyItem = .some(keyItem)
        } else {
            items = try keyring.items(for: server)
        }
        hostItems = items
        return items
    }

    /// The keyring's default AccessKey (for every ACR registry).
    package func keyringDefaultKey() throws(ACRError) -> AccessKey? {
        if let defaultKey { return defaultKey }
        let key =
            if let defaultKeyItem { try keyring.defaultAccessKey(from: defaultKeyItem) } else {
                try keyring.defaultAccessKey()
            }
        defaultKey = .some(key)
        return key
    }
}

extension CredentialSource {
    package var answersWhenKeyringFails: Bool { !usesKeyring }
}

/// `ALIBABA_CLOUD_ACCESS_KEY_ID`, `…_SECRET` (both non-empty) and `ALIBABA_CLOUD_SECURITY_TOKEN`:
/// explicit credentials beat stored ones, as in Alibaba Cloud's own credential chain. For ACR
/// registries only.
package struct EnvironmentKeySource: CredentialSource {
    package let name = "environment"
    package let usesKeyring = false
    /// The key the environment holds, if any.
    package let key: AccessKey?

    package init(environment: [String: String]) {
        if let id = environment.variable("ALIBABA_CLOUD_ACCESS_KEY_ID"),
            let secret = environment.variable("ALIBABA_CLOUD_ACCESS_KEY_SECRET")
        {
            key = AccessKey(
                id: id, secret: secret, securityToken: environment.variable("ALIBABA_CLOUD_SECURITY_TOKEN"))
        } else {
            key = nil
        }
    }

    package func credential(for request: CredentialRequest) throws(ACRError) -> Credential? {
        guard request.registry != nil, let key else { return nil }
        return .key(.accessKey(key), origin: name)
    }
}

/// The keyring's AccessKey stored for exactly this host.
package struct KeyringHostKeySource: CredentialSource {
    package let name = "keyring (key for the host)"
    package let usesKeyring = true
    package init() {}

    package func credential(for request: CredentialRequest) throws(ACRError) -> Credential? {
        let items = try request.itemsForHost()
        guard let key = items.accessKey else { return nil }
        guard request.registry != nil else {
            // A key is of no use for a host the helper cannot mint for; a login beside it still is.
            if items.login != nil { return nil }
            throw ACRError(
                .notACRRegistry,
                "\(request.server) has an AccessKey (\(key.maskedID)) but is not an ACR registry host: name it in "
                    + "config.json with its instance_id and region")
        }
        return .key(.accessKey(key), origin: name)
    }
}

/// A fixed registry login stored for this host, answered as it is.
package struct KeyringLoginSource: CredentialSource {
    package let name = "keyring (registry login)"
    package let usesKeyring = true
    package init() {}

    package func credential(for request: CredentialRequest) throws(ACRError) -> Credential? {
        try request.itemsForHost().login.map { .login($0) }
    }
}

/// The keyring's default AccessKey, for every ACR registry without one of its own.
package struct KeyringDefaultKeySource: CredentialSource {
    package let name = "keyring (default key)"
    package let usesKeyring = true
    package init() {}

    package func credential(for request: CredentialRequest) throws(ACRError) -> Credential? {
        guard request.registry != nil, let key = try request.keyringDefaultKey() else { return nil }
        return .key(.accessKey(key), origin: name)
    }
}

/// RRSA (`ALIBABA_CLOUD_ROLE_ARN`, `…_OIDC_PROVIDER_ARN`, `…_OIDC_TOKEN_FILE`, optionally
/// `…_ROLE_SESSION_NAME`): a pod's OIDC token traded for a role's credentials. ACR hosts only.
package struct OIDCSource: CredentialSource {
    package let name = "OIDC (RRSA)"
    package let usesKeyring = false
    let role: OIDCRole?

    package init(environment: [String: String]) {
        let value = environment.variable
        if let arn = value("ALIBABA_CLOUD_ROLE_ARN"), let provider = value("ALIBABA_CLOUD_OIDC_PROVIDER_ARN"),
            let file = value("ALIBABA_CLOUD_OIDC_TOKEN_FILE")
        {
            role = OIDCRole(
                roleARN: arn, providerARN: provider, tokenFile: file,
                sessionName: value("ALIBABA_CLOUD_ROLE_SESSION_NAME") ?? STSClient.defaultSessionName)
        } else {
            role = nil
        }
    }

    package func credential(for request: CredentialRequest) throws(ACRError) -> Credential? {
        guard request.registry != nil, let role else { return nil }
        return .key(.oidc(role), origin: name)
    }
}

/// The plaintext files users already have (`~/.aliyun/config.json`, then
/// `~/.alibabacloud/credentials`), when nothing better holds a key, with a warning that says how
/// to move the key into the keyring. A profile whose secret was moved is skipped; a file that
/// cannot be read is passed over, never fatal.
package struct PlaintextFileSource: CredentialSource {
    package let name = "plaintext file"
    package let usesKeyring = false
    package var answersWhenKeyringFails: Bool { false }
    private let environment: [String: String]
    private let logger: Logger
    private let notice: Notice?

    /// Told the file and profile of a key about to be used, which is safer in the keyring.
    package typealias Notice = @Sendable (_ path: String, _ profile: String) -> Void

    /// - Parameter onPlaintextKey: told of each key used from a file; without it, a warning is logged.
    package init(environment: [String: String], logger: Logger, onPlaintextKey: Notice? = nil) {
        self.environment = environment
        self.logger = logger
        self.notice = onPlaintextKey
    }

    package func credential(for request: CredentialRequest) throws(ACRError) -> Credential? {
        guard request.registry != nil else { return nil }
        let cliDisabled = environment["ALIBABA_CLOUD_CLI_PROFILE_DISABLED"]?.lowercased() == "true"
        for (path, format) in CredentialFiles.files(environment: environment)
        where !(cliDisabled && format == .aliyunCLI) {
            do {
                guard
                    let profile = try CredentialFiles.profile(
                        at: path, format: format, named: nil, environment: environment), let key = profile.key
                else { continue }
                if let notice {
                    notice(path, profile.name)
                } else {
                    logger.warning(
                        "using the AccessKey of profile \(profile.name) in the plaintext file \(path): it is safer in the keyring"
                    )
                }
                return .key(.accessKey(key), origin: "\(name) \(path)")
            } catch {
                logger.info("skipping \(path): \(error.message)")
            }
        }
        return nil
    }
}

/// The ECS instance's RAM role, only when `ALIBABA_CLOUD_ECS_METADATA` names it (never probed
/// otherwise: off ECS, probing costs seconds per pull) and `…_ECS_METADATA_DISABLED` is not true.
package struct ECSRoleSource: CredentialSource {
    package let name = "ECS instance role"
    package let usesKeyring = false
    let role: String?

    package init(environment: [String: String]) {
        let disabled = environment["ALIBABA_CLOUD_ECS_METADATA_DISABLED"]?.lowercased() == "true"
        role = disabled ? nil : environment.variable("ALIBABA_CLOUD_ECS_METADATA")
    }

    package func credential(for request: CredentialRequest) throws(ACRError) -> Credential? {
        guard request.registry != nil, let role else { return nil }
        return .key(.ecsRole(name: role), origin: name)
    }
}

/// `ALIBABA_CLOUD_CREDENTIALS_URI`.
package struct CredentialsURISource: CredentialSource {
    package let name = "credentials URI"
    package let usesKeyring = false
    let uri: String?

    package init(environment: [String: String]) {
        uri = environment.variable("ALIBABA_CLOUD_CREDENTIALS_URI")
    }

    package func credential(for request: CredentialRequest) throws(ACRError) -> Credential? {
        guard request.registry != nil, let uri else { return nil }
        return .key(.credentialsURI(uri), origin: name)
    }
}

/// The lists of sources.
package enum CredentialSources {
    /// The sources of docs/design.md#credential-sources, in order: environment, OIDC, the host's
    /// key, the host's login, the default key, the plaintext files, the ECS instance role, a
    /// credentials URI.
    package static func standard(
        environment: [String: String], logger: Logger = .silent, onPlaintextKey: PlaintextFileSource.Notice? = nil
    ) -> [any CredentialSource] {
        [
            EnvironmentKeySource(environment: environment), OIDCSource(environment: environment),
            KeyringHostKeySource(), KeyringLoginSource(), KeyringDefaultKeySource(),
            PlaintextFileSource(environment: environment, logger: logger, onPlaintextKey: onPlaintextKey),
            ECSRoleSource(environment: environment),
            CredentialsURISource(environment: environment),
        ]
    }
}

extension Logger {
    /// A logger that says nothing (swift-log's default before a bootstrap would write to stdout).
    public static var silent: Logger { Logger(label: "silent") { _ in SwiftLogNoOpLogHandler() } }
}
