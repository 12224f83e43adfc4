/// A secret store keyed by string attributes, as the freedesktop Secret Service is.
///
/// ``SecretServiceStore`` is the real one. Everything above it talks to this protocol, so that the
/// logic above the keyring can be tested with an in-memory store and the keyring itself for real.
package protocol SecretStoring: Sendable {
    /// Finds the items whose attributes include all of `attributes`.
    ///
    /// Never asks the user to unlock anything.
    /// - Parameters:
    ///   - attributes: the attributes to match; empty matches every item of the store's schema.
    ///   - loadSecrets: whether to transfer the secrets too (``SecretItem/secret`` is `nil` otherwise).
    /// - Returns: the matching items, most recently modified first.
    /// - Throws: ``SecretStoreError``; `.collectionLocked` when the collection is locked, never an
    ///   empty result that only looks like "nothing stored".
    func search(_ attributes: [String: String], loadSecrets: Bool) throws -> [SecretItem]

    /// Several searches at once, as ``search(_:loadSecrets:)`` makes each; a store may answer
    /// them together faster than one after another.
    /// - Returns: each query's items, in the order of `queries`.
    func search(each queries: [[String: String]], loadSecrets: Bool) throws -> [[SecretItem]]

    /// Stores `item` as the one item whose attributes include all of `identity`: the newest such
    /// item is updated in place (its secret first, then its attributes and label), or a new one is
    /// created; any other such items are deleted.
    ///
    /// The Secret Service only replaces an item whose attributes all match, so a changed username
    /// would otherwise leave two items behind.
    /// - Parameters:
    ///   - item: what to store; its secret must not be `nil`.
    ///   - identity: the attributes (a subset of the item's) that say which item this replaces.
    ///   - transfer: how the secret crosses to the store.
    /// - Throws: ``SecretStoreError``.
    func store(_ item: SecretItem, replacing identity: [String: String], transfer: SecretTransfer) throws

    /// Deletes every item whose attributes include all of `attributes`.
    /// - Returns: how many items were deleted.
    /// - Throws: ``SecretStoreError``; `.collectionLocked` rather than deleting nothing.
    @discardableResult
    func delete(_ attributes: [String: String]) throws -> Int

    /// The program answering as the Secret Service, where it can be told (its messages and fixes
    /// differ); `nil` otherwise.
    func product() -> SecretServiceProduct?
}

/// How a secret crosses the session bus into the Secret Service.
package enum SecretTransfer: Sendable, Equatable {
    /// Encrypted for a session negotiated by a Diffie-Hellman exchange (a few milliseconds of
    /// CPU): for long-lived secrets, such as keys.
    case encrypted
    /// As it is, over the user's own session-bus socket, as every read comes back: for
    /// short-lived secrets written where speed counts.
    case plain
}

extension SecretStoring {
    /// Not a Secret Service.
    package func product() -> SecretServiceProduct? { nil }

    /// Stores `item` with its secret encrypted on the way (``store(_:replacing:transfer:)``).
    package func store(_ item: SecretItem, replacing identity: [String: String]) throws {
        try store(item, replacing: identity, transfer: .encrypted)
    }

    /// One search after another.
    package func search(each queries: [[String: String]], loadSecrets: Bool) throws -> [[SecretItem]] {
        try queries.map { try search($0, loadSecrets: loadSecrets) }
    }
}

/// One item of a secret store.
package struct SecretItem: Sendable, Equatable {
    /// The human-readable name keyring managers show.
    package var label: String
    /// The string attributes items are found by.
    package var attributes: [String: String]
    /// The secret, as text; `nil` when it was not loaded.
    package var secret: String?
    /// When the item was last changed, in Unix seconds (0 when unknown).
    package var modified: UInt64

    /// Makes an item.
    package init(label: String, attributes: [String: String], secret: String?, modified: UInt64 = 0) {
        self.label = label
        self.attributes = attributes
        self.secret = secret
        self.modified = modified
    }
}

/// A libsecret schema: the name stored in each item's `xdg:schema` attribute and the names of the
/// string attributes its items may carry.
package struct SecretSchema: Sendable, Equatable {
    /// The schema name, such as `docker-credential-acr-helper.v1`.
    package var name: String
    /// Every attribute name an item of this schema may carry.
    package var attributeNames: [String]

    /// Makes a schema.
    package init(name: String, attributeNames: [String]) {
        self.name = name
        self.attributeNames = attributeNames
    }
}
