import ACR
import SecretStore

/// What a user must know after the helper deleted items from their keyring, where the Secret
/// Service keeps what was deleted.
enum DeletionNote {
    /// The note for stderr, or `nil` when the service removes deleted items for good.
    static func text(for product: SecretServiceProduct?) -> String? {
        guard product == .keePassXC else { return nil }
        return """
            note: KeePassXC keeps deleted entries, their secrets readable, in the database's Recycle Bin (and \
            earlier versions of an entry in its history): to remove them for good, empty the Recycle Bin in \
            KeePassXC (right-click it: Empty recycle bin), or turn the Recycle Bin off in Database Settings.
            """
    }

    /// After `erase` (`docker logout`), where the host has an AccessKey of its own: it stays.
    static func keptKey(_ id: String, serverURL: String) -> String {
        let host = (try? ServerAddress(parsing: serverURL).description) ?? serverURL
        return "note: the AccessKey \(AccessKey.mask(id)) stored for \(host) stays in the keyring (logout removes "
            + "logins and cached passwords only); to remove it: docker-credential-acr-helper remove-key --server \(host)"
    }
}
