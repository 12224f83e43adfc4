internal import CSecret
import Dispatch

// One operation's Secret Service calls (SecretServiceBus.swift) and their bound: every call of
// the operation ends by its deadline, and GErrors become SecretStoreError here and nowhere else.

/// Runs Secret Service calls for one operation, bounded by a deadline: a `GCancellable` that a
/// timer cancels, which makes a pending D-Bus call return `G_IO_ERROR_CANCELLED`.
struct SecretServiceOperation: ~Copyable {
    private let cancellable: UnsafeMutablePointer<GCancellable>
    private let timer: DispatchWorkItem
    private let timeout: Duration
    /// The store's connection and sessions.
    let kept: SecretServiceConnection
    let collectionName: String
    /// The bound, for calls that take one of their own.
    let timeoutMilliseconds: Int
    /// The cancellable the timer cancels, for the GDBus calls.
    var cancellableForCalls: UnsafeMutablePointer<GCancellable> { cancellable }

    init(timeout: Duration, collectionName: String, connection: SecretServiceConnection) {
        let cancellable = g_cancellable_new()!
        // The timer holds a reference of its own, so a timer firing while this operation goes away
        // never cancels a freed object; g_cancellable_cancel is thread-safe.
        let held = HeldCancellable(cancellable)
        timer = DispatchWorkItem { g_cancellable_cancel(held.pointer) }
        DispatchQueue.global().asyncAfter(deadline: .now() + timeout.dispatchInterval, execute: timer)
        self.cancellable = cancellable
        self.timeout = timeout
        self.collectionName = collectionName
        self.kept = connection
        self.timeoutMilliseconds = Int(timeout / .milliseconds(1))
    }

    deinit {
        timer.cancel()
        g_object_unref(cancellable)
    }

    /// Translates a GError into a SecretStoreError and frees it.
    func translate(_ error: UnsafeMutablePointer<GError>, connecting: Bool) -> SecretStoreError {
        defer { g_error_free(error) }
        let message = error.pointee.message.map { String(cString: $0) } ?? "unknown error"
        let domain = error.pointee.domain
        let code = error.pointee.code
        if domain == g_io_error_quark() && code == Int32(G_IO_ERROR_CANCELLED.rawValue) {
            return .timedOut(after: timeout, collection: collectionName)
        }
        if domain == g_dbus_error_quark()
            && (code == Int32(G_DBUS_ERROR_SERVICE_UNKNOWN.rawValue)
                || code == Int32(G_DBUS_ERROR_NAME_HAS_NO_OWNER.rawValue))
        {
            return SecretStoreError(.noSecretService, collection: collectionName, detail: message)
        }
        // Failing to reach the bus itself surfaces as a GIO error while connecting.
        if connecting && domain == g_io_error_quark() {
            return SecretStoreError(.noSessionBus, collection: collectionName, detail: message)
        }
        // The Secret Service's own errors keep their D-Bus name (such as
        // org.freedesktop.Secret.Error.IsLocked), for the caller to tell them apart.
        var remoteName = ""
        if let name = g_dbus_error_get_remote_error(error) {
            remoteName = String(cString: name)
            g_free(name)
        }
        return SecretStoreError(.other, collection: collectionName, detail: message, remoteName: remoteName)
    }

    /// Calls `body` with a `GError**` and throws the translated error when it set one.
    func call<R>(
        connecting: Bool = false, _ body: (UnsafeMutablePointer<UnsafeMutablePointer<GError>?>) -> R
    ) throws(SecretStoreError) -> R {
        var error: UnsafeMutablePointer<GError>? = nil
        let result = body(&error)
        if let error { throw translate(error, connecting: connecting) }
        return result
    }
}

/// A reference to a `GCancellable` (`g_object_ref`), dropped when the last holder goes.
private final class HeldCancellable: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<GCancellable>
    init(_ pointer: UnsafeMutablePointer<GCancellable>) {
        self.pointer = pointer
        g_object_ref(pointer)
    }
    deinit { g_object_unref(pointer) }
}

extension SecretItem {
    /// The content type every secret is written with: bytes, not text, for KeePassXC expands its
    /// placeholders (`{TITLE}`, `{USERNAME}`, …) in a `text/plain` secret when it is read, which
    /// would change what was stored.
    static let contentType = "application/octet-stream"
}

/// Carries a value the compiler cannot prove Sendable into a closure; see each use for why it is safe.
struct UncheckedSendable<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}

extension Duration {
    /// The same span for Dispatch.
    var dispatchInterval: DispatchTimeInterval {
        let (seconds, attoseconds) = components
        return .nanoseconds(Int(seconds) * 1_000_000_000 + Int(attoseconds / 1_000_000_000))
    }
}
