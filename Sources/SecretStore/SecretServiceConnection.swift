import Synchronization

/// What one ``SecretServiceStore`` keeps between its calls: its session-bus connection, the plain
/// session it reads through and the encrypted session it writes keys through, each made on first
/// use and kept while the store lives; and the lock that makes the store's calls one at a time.
final class SecretServiceConnection: Sendable {
    /// The session bus's address, `nil` when there is none to connect to.
    let address: String?
    private let bus = Mutex<BusConnection?>(nil)
    /// The object path of the plain session, once opened.
    private let plain = Mutex<String?>(nil)
    /// The encrypted session, once negotiated.
    private let encrypted = Mutex<EncryptedSession?>(nil)

    /// One operation of a store at a time: a write's search and update must not interleave with
    /// another thread's on the same items, and a Secret Service answers one call at a time anyway.
    let oneCallAtATime = Mutex(())

    init(address: String?) { self.address = address }

    /// The connection, made by `connect` the first time, and kept: every later call would connect
    /// and authenticate again.
    func sessionBus(_ connect: () throws(SecretStoreError) -> BusConnection) throws(SecretStoreError)
        -> BusConnection
    {
        try made(bus, connect)
    }

    /// The plain session's path, opened by `open` the first time.
    func plainSession(_ open: () throws(SecretStoreError) -> String) throws(SecretStoreError) -> String {
        try made(plain, open)
    }

    /// The encrypted session, negotiated by `open` the first time.
    func encryptedSession(_ open: () throws(SecretStoreError) -> EncryptedSession) throws(SecretStoreError)
        -> EncryptedSession
    {
        try made(encrypted, open)
    }

    /// What `slot` holds, made by `make` and kept there when it holds nothing yet.
    private func made<T: Sendable>(_ slot: borrowing Mutex<T?>, _ make: () throws(SecretStoreError) -> T)
        throws(SecretStoreError) -> T
    {
        try slot.withLock { (kept: inout T?) throws(SecretStoreError) in
            if let kept { return kept }
            let made = try make()
            kept = made
            return made
        }
    }

    /// Whether a plain session is open.
    var hasPlainSession: Bool { plain.withLock { $0 != nil } }

    /// Forgets the plain session (the service may have restarted and lost it).
    /// - Returns: whether one was known.
    @discardableResult
    func forgetPlainSession() -> Bool {
        plain.withLock { known in
            defer { known = nil }
            return known != nil
        }
    }

    /// Forgets the encrypted session, for a write to negotiate a new one (the service refused or
    /// garbled what the one known carried).
    func forgetEncryptedSession() {
        encrypted.withLock { $0 = nil }
    }
}
