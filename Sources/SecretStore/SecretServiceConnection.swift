internal import CSecret
import Synchronization

/// What one ``SecretServiceStore`` keeps between its calls: the session-bus connection and the
/// plain session it reads through, each made on first use and kept while the store lives; and the
/// lock that makes the store's calls one at a time.
final class SecretServiceConnection: Sendable {
    /// GDBus connections are thread-safe; the pointer is only handed out.
    private let bus = Mutex<UncheckedSendable<OpaquePointer>?>(nil)
    /// The object path of the plain session, once opened.
    private let plain = Mutex<String?>(nil)

    /// libsecret's sync calls from several threads at once stall each other (measured: nine
    /// parallel look-ups took a second, one after another a few milliseconds each), and a
    /// Secret Service answers one call at a time anyway: one operation of a store at a time.
    let oneCallAtATime = Mutex(())

    deinit {
        if let kept = bus.withLock({ $0 }) { g_object_unref(UnsafeMutableRawPointer(kept.value)) }
    }

    /// The connection, made by `connect` the first time. Kept, because GLib drops its shared
    /// connection with the last reference, and every later call would connect and authenticate
    /// again.
    func sessionBus(_ connect: () throws(SecretStoreError) -> OpaquePointer) throws(SecretStoreError)
        -> OpaquePointer
    {
        try bus.withLock { (kept: inout UncheckedSendable<OpaquePointer>?) throws(SecretStoreError) in
            if let kept { return kept.value }
            let made = try connect()
            kept = UncheckedSendable(made)
            return made
        }
    }

    /// The plain session's path, opened by `open` the first time.
    func plainSession(_ open: () throws(SecretStoreError) -> String) throws(SecretStoreError) -> String {
        try plain.withLock { (known: inout String?) throws(SecretStoreError) in
            if let known { return known }
            let opened = try open()
            known = opened
            return opened
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
}
