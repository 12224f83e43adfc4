/// One place credentials may come from (SPEC §4). Sources are asked in order for each `get`; the
/// first that answers wins, so new sources are added to the list without touching its callers.
public protocol CredentialSource: Sendable {
    /// Names the source in logs: "environment", "keyring (host key)", …
    var name: String { get }

    /// Whether the source lives in the keyring. One that does not (the environment) still serves
    /// an ACR host when the keyring cannot be read, only without the token cache.
    var usesKeyring: Bool { get }

    /// What this source has for the request's host, or `nil`.
    /// - Throws: ``ACRError`` when the source holds something for the host but cannot give it
    ///   (the keyring is locked, an item is damaged).
    func credential(for request: CredentialRequest) throws(ACRError) -> Credential?
}

/// The host a `get` is for, and the keyring's items for it, read at most once however many
/// sources ask (the Secret Service is the slow part of a `get`).
public final class CredentialRequest {
    public let server: ServerAddress
    /// The ACR registry the host is, or `nil` for any other registry.
    public let registry: ACRRegistry?
    private let keyring: CredentialKeyring
    private var hostItems: HostItems?
    private var defaultKey: AccessKey??

    public init(server: ServerAddress, registry: ACRRegistry?, keyring: CredentialKeyring) {
        self.server = server
        self.registry = registry
        self.keyring = keyring
    }

    /// The keyring's items for exactly this host.
    /// - Parameter fresh: read them again, rather than answer what an earlier call read.
    public func itemsForHost(fresh: Bool = false) throws(ACRError) -> HostItems {
        if let hostItems, !fresh { return hostItems }
        let items = try keyring.items(for: server)
        hostItems = items
        return items
    }

    /// The keyring's default AccessKey (for every ACR registry).
    public func keyringDefaultKey() throws(ACRError) -> AccessKey? {
        if let defaultKey { return defaultKey }
        let key = try keyring.defaultAccessKey()
        defaultKey = .some(key)
        return key
    }
}

/// `ALIBABA_CLOUD_ACCESS_KEY_ID`, `…_SECRET` (both non-empty) and `ALIBABA_CLOUD_SECURITY_TOKEN`:
/// explicit credentials beat stored ones, as in Alibaba Cloud's own credential chain. For ACR
/// registries only.
public struct EnvironmentKeySource: CredentialSource {
    public let name = "environment"
    public let usesKeyring = false
    /// The key the environment holds, if any.
    public let key: AccessKey?

    public init(environment: [String: String]) {
        let id = environment["ALIBABA_CLOUD_ACCESS_KEY_ID"] ?? ""
        let secret = environment["ALIBABA_CLOUD_ACCESS_KEY_SECRET"] ?? ""
        let token = environment["ALIBABA_CLOUD_SECURITY_TOKEN"] ?? ""
        key =
            id.isEmpty || secret.isEmpty
            ? nil : AccessKey(id: id, secret: secret, securityToken: token.isEmpty ? nil : token)
    }

    public func credential(for request: CredentialRequest) throws(ACRError) -> Credential? {
        guard request.registry != nil, let key else { return nil }
        return .accessKey(key, origin: name)
    }
}

/// The keyring's AccessKey stored for exactly this host.
public struct KeyringHostKeySource: CredentialSource {
    public let name = "keyring (key for the host)"
    public let usesKeyring = true
    public init() {}

    public func credential(for request: CredentialRequest) throws(ACRError) -> Credential? {
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
        return .accessKey(key, origin: name)
    }
}

/// A fixed registry login stored for this host, answered as it is.
public struct KeyringLoginSource: CredentialSource {
    public let name = "keyring (registry login)"
    public let usesKeyring = true
    public init() {}

    public func credential(for request: CredentialRequest) throws(ACRError) -> Credential? {
        try request.itemsForHost().login.map { .login($0) }
    }
}

/// The keyring's default AccessKey, for every ACR registry without one of its own.
public struct KeyringDefaultKeySource: CredentialSource {
    public let name = "keyring (default key)"
    public let usesKeyring = true
    public init() {}

    public func credential(for request: CredentialRequest) throws(ACRError) -> Credential? {
        guard request.registry != nil, let key = try request.keyringDefaultKey() else { return nil }
        return .accessKey(key, origin: name)
    }
}

/// The lists of sources.
public enum CredentialSources {
    /// The sources of SPEC §4 this helper has, in order.
    public static func standard(environment: [String: String]) -> [any CredentialSource] {
        [
            EnvironmentKeySource(environment: environment), KeyringHostKeySource(), KeyringLoginSource(),
            KeyringDefaultKeySource(),
        ]
    }
}
