// One operation's Secret Service calls (SecretServiceBus.swift) and their bound: every call of the
// operation ends by its deadline, and bus failures become SecretStoreError here and nowhere else.

/// Runs Secret Service calls for one operation, bounded by a deadline: each call's reply is
/// waited for until then, and no longer.
struct SecretServiceOperation: ~Copyable {
    private let timeout: Duration
    /// When every call of the operation must have ended.
    let deadline: ContinuousClock.Instant
    /// The store's connection and sessions.
    let kept: SecretServiceConnection
    let collectionName: String

    init(timeout: Duration, collectionName: String, connection: SecretServiceConnection) {
        self.timeout = timeout
        self.deadline = ContinuousClock.now + timeout
        self.collectionName = collectionName
        self.kept = connection
    }

    /// The SecretStoreError of a bus failure.
    func translate(_ failure: BusFailure) -> SecretStoreError {
        switch failure {
        case .timedOut:
            return .timedOut(after: timeout, collection: collectionName)
        case .cannotConnect(let message):
            return SecretStoreError(.noSessionBus, collection: collectionName, detail: message)
        case .disconnected:
            // Connecting never ends so (BusConnection.open says why it could not connect).
            return SecretStoreError(.other, collection: collectionName, detail: "the session bus closed the connection")
        case .error(let name, let message)
        where name == "org.freedesktop.DBus.Error.ServiceUnknown"
            || name == "org.freedesktop.DBus.Error.NameHasNoOwner":
            return SecretStoreError(.noSecretService, collection: collectionName, detail: message)
        case .error(let name, let message):
            // The Secret Service's own errors keep their D-Bus name (such as
            // org.freedesktop.Secret.Error.IsLocked), for the caller to tell them apart.
            return SecretStoreError(.other, collection: collectionName, detail: message, remoteName: name)
        case .malformed(let what):
            return SecretStoreError(
                .other, collection: collectionName, detail: "the Secret Service's answer is malformed: \(what)")
        }
    }
}

extension SecretItem {
    /// The content type every secret is written with: bytes, not text, for KeePassXC expands its
    /// placeholders (`{TITLE}`, `{USERNAME}`, …) in a `text/plain` secret when it is read, which
    /// would change what was stored.
    static let contentType = "application/octet-stream"
}
