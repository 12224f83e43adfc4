import FoundationEssentials
import SecretStore

/// A fixed registry username and password, as `docker login` stores it.
public struct RegistryLogin: Sendable, Equatable {
    public var username: String
    public var secret: String

    public init(username: String, secret: String) {
        self.username = username
        self.secret = secret
    }
}

/// This helper's items in a secret store: typed reads and writes over ``KeyringSchema``.
///
/// Knows which attributes and secret layout each kind of item has; knows nothing of docker's
/// protocol or of where the store lives.
public struct CredentialKeyring: Sendable {
    private let store: any SecretStoring

    /// - Parameter store: where the items live; the real one is a ``SecretServiceStore`` with
    ///   ``KeyringSchema/secretSchema``.
    public init(store: any SecretStoring) {
        self.store = store
    }

    /// The static login stored for `server`, if any.
    /// - Throws: ``ACRError`` (`.keyring`, `.damagedItem`).
    public func registryLogin(for server: ServerAddress) throws(ACRError) -> RegistryLogin? {
        let items = try keyring("read credentials for \(server)") {
            try store.search(identity(.registryLogin, server), loadSecrets: true)
        }
        // Several items only after an interrupted replace: the newest is the one meant.
        guard let item = items.first else { return nil }
        guard let text = item.secret, let stored = try? JSONDecoder().decode(StoredLogin.self, from: Data(text.utf8))
        else {
            throw ACRError(
                .damagedItem,
                "the keyring item \"\(item.label)\" for \(server) cannot be read: log in to \(server) again")
        }
        return RegistryLogin(username: stored.username, secret: stored.secret)
    }

    /// Stores `login` as the static login for `server`, replacing any other.
    /// - Throws: ``ACRError`` (`.keyring`); nothing is changed then.
    public func save(_ login: RegistryLogin, for server: ServerAddress) throws(ACRError) {
        var attributes = identity(.registryLogin, server)
        attributes[KeyringSchema.Attribute.username] = login.username
        let secret = JSONText.object([("username", login.username), ("secret", login.secret)])
        let item = SecretItem(
            label: "Registry login \(login.username) for \(server)", attributes: attributes, secret: secret)
        try keyring("store credentials for \(server)") {
            try store.store(item, replacing: identity(.registryLogin, server))
        }
    }

    /// Removes every item stored for exactly `server`: its AccessKey, static login and tokens.
    /// The default AccessKey (`server` = `*`) is not touched.
    /// - Returns: how many items were removed.
    @discardableResult
    public func removeEverything(for server: ServerAddress) throws(ACRError) -> Int {
        try keyring("erase credentials for \(server)") {
            try store.delete([KeyringSchema.Attribute.server: server.description])
        }
    }

    /// The username for each host that has a static login, and the AccessKey ID for each host
    /// with its own AccessKey (which `get` prefers, so it wins where a host has both). Read from
    /// attributes alone: no secret is transferred.
    public func hostScopedUsernames() throws(ACRError) -> [String: String] {
        let items = try keyring("list the stored credentials") { try store.search([:], loadSecrets: false) }
        var logins: [String: String] = [:]
        var keys: [String: String] = [:]
        for item in items {
            guard let server = item.attributes[KeyringSchema.Attribute.server], server != KeyringSchema.everyServer
            else { continue }
            switch KeyringSchema.Kind(rawValue: item.attributes[KeyringSchema.Attribute.kind] ?? "") {
            case .registryLogin: logins[server] = logins[server] ?? item.attributes[KeyringSchema.Attribute.username]
            case .accessKey: keys[server] = keys[server] ?? item.attributes[KeyringSchema.Attribute.accessKeyID]
            case .token, nil: continue
            }
        }
        return logins.merging(keys) { _, key in key }
    }

    private func identity(_ kind: KeyringSchema.Kind, _ server: ServerAddress) -> [String: String] {
        [KeyringSchema.Attribute.kind: kind.rawValue, KeyringSchema.Attribute.server: server.description]
    }

    /// Runs a store call, naming what was being done if it fails.
    private func keyring<T>(_ action: String, _ body: () throws -> T) throws(ACRError) -> T {
        do {
            return try body()
        } catch let error as SecretStoreError {
            throw ACRError.keyring(error, while: action)
        } catch {
            throw ACRError(.keyring, "cannot \(action): \(error)")
        }
    }
}

/// The secret of a `registry-login` item.
private struct StoredLogin: Decodable {
    let username: String
    let secret: String
}
