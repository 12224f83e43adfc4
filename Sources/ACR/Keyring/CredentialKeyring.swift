import SecretStore

/// A fixed registry username and password, as `docker login` stores it.
public struct RegistryLogin: Sendable, Equatable {
    /// The registry username.
    public var username: String
    /// Its password or token.
    public var secret: String

    /// A login of `username` with `secret`.
    public init(username: String, secret: String) {
        self.username = username
        self.secret = secret
    }
}

/// This helper's items in a secret store: typed reads and writes over ``KeyringSchema``.
///
/// Knows which attributes and secret layout each kind of item has; knows nothing of docker's
/// protocol or of where the store lives.
package struct CredentialKeyring: Sendable {
    private let store: any SecretStoring

    /// - Parameter store: where the items live; the real one is a ``SecretServiceStore`` with
    ///   ``KeyringSchema/secretSchema``.
    package init(store: any SecretStoring) {
        self.store = store
    }

    /// The items stored for exactly `server`, read in one search.
    /// - Parameter action: what the caller is doing, for the error ("store credentials for HOST").
    /// - Throws: ``ACRError`` (`.keyring`, `.damagedItem`).
    package func items(for server: ServerAddress, while action: String? = nil) throws(ACRError) -> HostItems {
        let items = try keyring(action ?? "read credentials for \(server)") {
            try store.search([KeyringSchema.Attribute.server: server.description], loadSecrets: true)
        }
        return try hostItems(items, server)
    }

    /// The items stored for exactly `server` and the default AccessKey, read together (an ACR
    /// host's `get` needs both unless the host has a key of its own, and one round of Secret
    /// Service calls costs as much as the other).
    /// - Returns: the host's items, and the default key for ``defaultAccessKey(from:)`` to read
    ///   when it is wanted (a damaged one then fails only the `get` that would use it).
    package func itemsAndDefaultKey(for server: ServerAddress) throws(ACRError) -> (HostItems, SecretItem?) {
        let found = try keyring("read credentials for \(server)") {
            try store.search(
                each: [
                    [KeyringSchema.Attribute.server: server.description],
                    identity(.accessKey, KeyringSchema.everyServer),
                ], loadSecrets: true)
        }
        return (try hostItems(found[0], server), found[1].first)
    }

    private func hostItems(_ items: [SecretItem], _ server: ServerAddress) throws(ACRError) -> HostItems {
        // Items come newest first: after an interrupted replace, the first one is the one meant.
        var found = HostItems()
        for item in items {
            switch KeyringSchema.Kind(rawValue: item.attributes[KeyringSchema.Attribute.kind] ?? "") {
            case .registryLogin where found.login == nil:
                let stored = try decode(StoredLogin.self, item, server)
                found.login = RegistryLogin(username: stored.username, secret: stored.secret)
            case .accessKey where found.accessKey == nil:
                found.accessKey = try decode(StoredAccessKey.self, item, server).accessKey
            case .token where found.token == nil:
                // A cached password that cannot be read is simply not a cached password.
                found.token = Self.cachedToken(item)
            default:
                continue
            }
        }
        return found
    }

    /// The static login stored for `server`, if any.
    package func registryLogin(for server: ServerAddress) throws(ACRError) -> RegistryLogin? {
        try items(for: server).login
    }

    /// The default AccessKey, for every ACR registry without a key of its own.
    package func defaultAccessKey() throws(ACRError) -> AccessKey? {
        let items = try keyring("read the default AccessKey") {
            try store.search(identity(.accessKey, KeyringSchema.everyServer), loadSecrets: true)
        }
        return try defaultAccessKey(from: items.first)
    }

    /// The default AccessKey in `item`, as ``itemsAndDefaultKey(for:)`` read it.
    package func defaultAccessKey(from item: SecretItem?) throws(ACRError) -> AccessKey? {
        guard let item else { return nil }
        return try decode(StoredAccessKey.self, item, nil).accessKey
    }

    /// Caches `token` as the temporary password for `server`, replacing the one before.
    package func save(_ token: CachedToken, for server: ServerAddress) throws(ACRError) {
        var attributes = identity(.token, server)
        attributes[KeyringSchema.Attribute.mintedBy] = token.mintedBy
        attributes[KeyringSchema.Attribute.endpoint] = token.endpoint
        let secret = JSONText.keyringObject([
            ("username", .string(token.username)), ("password", .string(token.password)),
            ("expires_at", .number(token.expiresAt)), ("minted_at", .number(token.mintedAt)),
        ])
        let item = SecretItem(
            label: "ACR temporary password for \(server) (minted by \(AccessKey.mask(token.mintedBy)))",
            attributes: attributes, secret: secret)
        // Plain, as every read comes back: a password that lives hours, written on the path of a
        // cold `get`, where an encrypted session's key exchange would cost more than the write.
        try keyring("cache the registry password for \(server)") {
            try store.store(item, replacing: identity(.token, server), transfer: .plain)
        }
    }

    /// Removes the cached passwords of `server`, or (for `nil`) of every host.
    /// - Returns: how many were removed.
    @discardableResult
    package func dropTokens(for server: ServerAddress?) throws(ACRError) -> Int {
        let attributes =
            server.map { identity(.token, $0) } ?? [KeyringSchema.Attribute.kind: KeyringSchema.Kind.token.rawValue]
        return try keyring("drop the cached passwords" + (server.map { " for \($0)" } ?? "")) {
            try store.delete(attributes)
        }
    }

    /// Stores `key` as the AccessKey for `server` (or, for `nil`, for every ACR registry),
    /// replacing the one stored before.
    package func save(_ key: AccessKey, for server: ServerAddress?) throws(ACRError) {
        let scope = server?.description ?? KeyringSchema.everyServer
        var attributes = identity(.accessKey, scope)
        attributes[KeyringSchema.Attribute.accessKeyID] = key.id
        var members = [("access_key_id", key.id), ("access_key_secret", key.secret)]
        if let token = key.securityToken { members.append(("security_token", token)) }
        if let role = key.role {
            members.append(("role_arn", role.arn))
            if let name = role.sessionName { members.append(("role_session_name", name)) }
            if let external = role.externalID { members.append(("external_id", external)) }
            if let policy = role.policy { members.append(("policy", policy)) }
        }
        let label = "Alibaba Cloud AccessKey \(key.maskedID) for " + (server.map { "\($0)" } ?? "all ACR registries")
        let item = SecretItem(label: label, attributes: attributes, secret: JSONText.keyringObject(members))
        try keyring("store the AccessKey for \(server.map { "\($0)" } ?? "all ACR registries")") {
            try store.store(item, replacing: identity(.accessKey, scope))
        }
    }

    /// Stores `login` as the static login for `server`, replacing any other.
    /// - Throws: ``ACRError`` (`.keyring`); nothing is changed then.
    package func save(_ login: RegistryLogin, for server: ServerAddress) throws(ACRError) {
        var attributes = identity(.registryLogin, server)
        attributes[KeyringSchema.Attribute.username] = login.username
        let secret = JSONText.keyringObject([("username", login.username), ("secret", login.secret)])
        let item = SecretItem(
            label: "Registry login \(login.username) for \(server)", attributes: attributes, secret: secret)
        try keyring("store credentials for \(server)") {
            try store.store(item, replacing: identity(.registryLogin, server))
        }
    }

    /// Stores `key` for `server` (or, for `nil`, every ACR registry), reads it back to be sure the
    /// keyring kept it, and drops the passwords the key it replaces had minted.
    /// - Throws: ``ACRError``; when the read-back differs, the keyring is named as the culprit.
    package func storeVerified(_ key: AccessKey, for server: ServerAddress?) throws(ACRError) {
        let previous = try storedKey(for: server)
        try save(key, for: server)
        guard try storedKey(for: server) == key else {
            throw ACRError(
                .keyring,
                "the keyring did not keep the AccessKey \(key.maskedID) as written: check the Secret Service (doctor)")
        }
        if let server {
            try dropTokens(for: server)
        } else if let previous, previous.mintingIdentity != key.mintingIdentity {
            try dropTokens(mintedBy: previous.mintingIdentity)
        }
    }

    /// The key stored for `server`, or the default key for `nil`.
    package func storedKey(for server: ServerAddress?) throws(ACRError) -> AccessKey? {
        guard let server else { return try defaultAccessKey() }
        return try items(for: server).accessKey
    }

    /// Removes the passwords minted by `identity` (a key ID or role ARN), for every host.
    package func dropTokens(mintedBy identity: String) throws(ACRError) {
        _ = try keyring("drop the passwords minted by \(AccessKey.mask(identity))") {
            try store.delete([
                KeyringSchema.Attribute.kind: KeyringSchema.Kind.token.rawValue,
                KeyringSchema.Attribute.mintedBy: identity,
            ])
        }
    }

    /// Every AccessKey stored, default first, then by host.
    package func accessKeys() throws(ACRError) -> [StoredKey] {
        let items = try keyring("list the stored AccessKeys") {
            try store.search([KeyringSchema.Attribute.kind: KeyringSchema.Kind.accessKey.rawValue], loadSecrets: true)
        }
        var keys: [StoredKey] = []
        for item in items {
            let server = item.attributes[KeyringSchema.Attribute.server] ?? ""
            let key = try decode(StoredAccessKey.self, item, nil).accessKey
            keys.append(
                StoredKey(key: key, server: server == KeyringSchema.everyServer ? nil : server, label: item.label))
        }
        return keys.sorted { ($0.server ?? "") < ($1.server ?? "") }
    }

    /// Removes the AccessKey stored for `server` (or, for `nil`, the default one) and the
    /// passwords it minted, for every host.
    /// - Returns: the key removed, or `nil` when there was none.
    package func removeAccessKey(for server: ServerAddress?) throws(ACRError) -> AccessKey? {
        let scope = server?.description ?? KeyringSchema.everyServer
        let what = server.map { "the AccessKey for \($0)" } ?? "the default AccessKey"
        let items = try keyring("read \(what)") { try store.search(identity(.accessKey, scope), loadSecrets: true) }
        guard let item = items.first else { return nil }
        let key = try decode(StoredAccessKey.self, item, nil).accessKey
        _ = try keyring("remove \(what)") { try store.delete(identity(.accessKey, scope)) }
        try dropTokens(mintedBy: key.mintingIdentity)
        return key
    }

    /// Removes every item stored for exactly `server`: its AccessKey, static login and tokens.
    /// The default AccessKey (`server` = `*`) is not touched.
    /// - Returns: how many items were removed.
    @discardableResult
    /// The program answering as the Secret Service, where it can be told.
    package func secretServiceProduct() -> SecretServiceProduct? {
        store.product()
    }

    /// Removes the static login and the cached passwords of exactly `server`, never its AccessKey:
    /// a key the RAM console showed once may exist nowhere else (after `import-keys
    /// --delete-source`), and `docker logout` must not lose it.
    /// - Returns: how many items were removed, and the ID of the AccessKey that stays, if any.
    package func removeLoginAndTokens(for server: ServerAddress) throws(ACRError) -> (removed: Int, keptKey: String?) {
        try keyring("erase credentials for \(server)") {
            let removed =
                try store.delete(identity(.registryLogin, server)) + store.delete(identity(.token, server))
            let key = try store.search(identity(.accessKey, server), loadSecrets: false).first
            return (removed, key.map { $0.attributes[KeyringSchema.Attribute.accessKeyID] ?? "" })
        }
    }

    /// The username for each host that has a static login, and the AccessKey ID for each host
    /// with its own AccessKey (which `get` prefers, so it wins where a host has both). Read from
    /// attributes alone: no secret is transferred.
    package func hostScopedUsernames() throws(ACRError) -> [String: String] {
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
        identity(kind, server.description)
    }

    private func identity(_ kind: KeyringSchema.Kind, _ server: String) -> [String: String] {
        [KeyringSchema.Attribute.kind: kind.rawValue, KeyringSchema.Attribute.server: server]
    }

    /// A `token` item as a cached token, or `nil` when it is not one.
    static func cachedToken(_ item: SecretItem) -> CachedToken? {
        // Times outside 2000–2100 (written by anything but this helper) would make the cache
        // arithmetic overflow: such an item is not a cached password.
        guard let stored = StoredObject(item.secret), let username = stored.string("username"),
            let password = stored.string("password"), let expiresAt = stored.integer("expires_at"),
            let mintedAt = stored.integer("minted_at"), CachedToken.plausibleTimes.contains(expiresAt),
            CachedToken.plausibleTimes.contains(mintedAt),
            let mintedBy = item.attributes[KeyringSchema.Attribute.mintedBy],
            let endpoint = item.attributes[KeyringSchema.Attribute.endpoint]
        else { return nil }
        return CachedToken(
            username: username, password: password, expiresAt: expiresAt, mintedAt: mintedAt, mintedBy: mintedBy,
            endpoint: endpoint)
    }

    /// An item's secret as `T`; an item that cannot be read is damaged, and said so without its text.
    private func decode<T: StoredSecret>(_ type: T.Type, _ item: SecretItem, _ server: ServerAddress?) throws(ACRError)
        -> T
    {
        guard let object = StoredObject(item.secret), let value = T(object) else {
            let fix = server.map { "log in to \($0) again" } ?? "store the key again"
            throw ACRError(.damagedItem, "the keyring item \"\(item.label)\" cannot be read: \(fix)")
        }
        return value
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

/// What the keyring holds for one host.
package struct HostItems: Sendable, Equatable {
    package var accessKey: AccessKey?
    package var login: RegistryLogin?
    /// The cached temporary password.
    package var token: CachedToken?
    package init(accessKey: AccessKey? = nil, login: RegistryLogin? = nil, token: CachedToken? = nil) {
        self.accessKey = accessKey
        self.login = login
        self.token = token
    }
}

/// An item's secret: a JSON object (docs/design.md#the-keyring), read member by member with
/// ``JSONTree``'s parser. Not `JSONDecoder`: its first use in a process cost a warm `get` ≈ 0.3 ms.
private struct StoredObject {
    private let tree: JSONTree

    /// `nil` when there is no secret or it is not a JSON object.
    init?(_ secret: String?) {
        guard let secret, let tree = try? JSONTree.parse(Array(secret.utf8)), case .object = tree else { return nil }
        self.tree = tree
    }

    /// A member that must be a string: `nil` when it is missing or of another type.
    func string(_ name: String) -> String? { tree[name]?.stringValue }

    /// A member that may be missing or null (`.some(nil)`), else must be a string; `nil` for
    /// another type.
    func optionalString(_ name: String) -> String?? {
        switch tree[name] {
        case nil, .some(.null): .some(nil)
        case .some(.string(let text)): .some(text)
        default: nil
        }
    }

    /// A member that must be a whole number that fits an `Int`.
    func integer(_ name: String) -> Int? {
        guard case .some(.number(let text)) = tree[name] else { return nil }
        return Int(text)
    }
}

/// A secret's layout, read from its JSON object.
private protocol StoredSecret {
    /// `nil` when a member is missing or of another type than the layout's.
    init?(_ object: StoredObject)
}

/// The secret of a `registry-login` item.
private struct StoredLogin: StoredSecret {
    let username: String
    let secret: String

    init?(_ object: StoredObject) {
        guard let username = object.string("username"), let secret = object.string("secret") else { return nil }
        self.username = username
        self.secret = secret
    }
}

/// The secret of an `access-key` item (docs/design.md#the-keyring).
private struct StoredAccessKey: StoredSecret {
    let accessKey: AccessKey

    init?(_ object: StoredObject) {
        guard let id = object.string("access_key_id"), let secret = object.string("access_key_secret"),
            let securityToken = object.optionalString("security_token"),
            let roleARN = object.optionalString("role_arn"),
            let sessionName = object.optionalString("role_session_name"),
            let externalID = object.optionalString("external_id"), let policy = object.optionalString("policy")
        else { return nil }
        let role = roleARN.map { RAMRole(arn: $0, sessionName: sessionName, externalID: externalID, policy: policy) }
        accessKey = AccessKey(id: id, secret: secret, securityToken: securityToken, role: role)
    }
}

/// An AccessKey as stored, with the hosts it serves.
package struct StoredKey: Sendable, Equatable {
    package var key: AccessKey
    /// The host, or `nil` for every ACR registry.
    package var server: String?
    package var label: String
}
