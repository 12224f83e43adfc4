import SecretStore

/// What a docker credential helper does, with docker's protocol already taken off: the engine in
/// the executable reads and writes the bytes, this answers.
package protocol CredentialHelper: Sendable {
    /// The credentials for a server URL as docker passes it.
    /// - Throws: ``ACRError``; `.notFound` when nothing answers for the host.
    func get(_ serverURL: String) throws(ACRError) -> RegistryLogin

    /// Stores credentials docker was given by `docker login`.
    func store(serverURL: String, login: RegistryLogin) throws(ACRError)

    /// Removes the static login and cached passwords stored for the host, never an AccessKey;
    /// erasing what is not there succeeds.
    @discardableResult
    func erase(_ serverURL: String) throws(ACRError) -> Erased

    /// Every host-scoped login and AccessKey: host → username or AccessKey ID.
    func list() throws(ACRError) -> [String: String]

    /// The program answering as the Secret Service, where it can be told: what it does with
    /// deleted items differs.
    func secretServiceProduct() -> SecretServiceProduct?
}

/// What an `erase` did.
package struct Erased: Sendable, Equatable {
    /// How many items were removed.
    package var removed: Int
    /// The ID of the AccessKey stored for the host, which stays.
    package var keptKeyID: String?

    package init(removed: Int, keptKeyID: String? = nil) {
        self.removed = removed
        self.keptKeyID = keptKeyID
    }
}

extension CredentialHelper {
    /// No Secret Service to tell.
    package func secretServiceProduct() -> SecretServiceProduct? { nil }
}
