/// Why the Secret Service could not be used, each cause with its own message and fix.
///
/// Every GError libsecret reports is translated into one of these at the boundary; "locked",
/// "no bus" and "not found" are never collapsed into one.
public struct SecretStoreError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The kinds of failure, for callers that act on them.
    public enum Code: Sendable, Equatable {
        /// No D-Bus session bus: `DBUS_SESSION_BUS_ADDRESS` unset and no `$XDG_RUNTIME_DIR/bus`,
        /// or the address given cannot be connected to.
        case noSessionBus
        /// The bus has no owner of `org.freedesktop.secrets` and cannot start one.
        case noSecretService
        /// The collection is locked; reading it would need the user to unlock it.
        case collectionLocked
        /// The collection (alias or label) does not exist.
        case collectionMissing
        /// The Secret Service did not answer in time.
        case timedOut
        /// Anything else, with GLib's message.
        case other
    }

    /// What kind of failure this is.
    public let code: Code
    /// The collection concerned (alias or label), where known.
    public let collection: String
    /// GLib's own message, or the detail we found.
    public let detail: String

    /// Makes an error.
    public init(_ code: Code, collection: String = "", detail: String = "") {
        self.code = code
        self.collection = collection
        self.detail = detail
    }

    /// The Secret Service did not answer within `limit` (said in whole seconds).
    static func timedOut(after limit: Duration, collection: String) -> SecretStoreError {
        SecretStoreError(.timedOut, collection: collection, detail: "\(limit.components.seconds) s")
    }

    /// One line: what failed and how to fix it.
    public var description: String {
        switch code {
        case .noSessionBus:
            return "no D-Bus session bus (\(detail)): run it in your desktop session, or start one with "
                + "dbus-run-session and a Secret Service such as gnome-keyring-daemon"
        case .noSecretService:
            return "no Secret Service on the D-Bus session bus (\(detail)): install and start "
                + "gnome-keyring (apt install gnome-keyring) or enable KeePassXC's Secret Service integration"
        case .collectionLocked:
            return "the keyring collection \"\(collection)\" is locked"
                + (detail.isEmpty ? "" : " (\(detail))")
                + ": unlock it and try again "
                + "(desktop: open Passwords and Keys; headless: gnome-keyring-daemon --replace --unlock)"
        case .collectionMissing:
            return "the keyring has no collection \"\(collection)\": create one and make it the default "
                + "(Passwords and Keys: New Password Keyring), or set DOCKER_CREDENTIAL_ACR_HELPER_COLLECTION"
        case .timedOut:
            return "the Secret Service did not answer within \(detail): check that gnome-keyring-daemon "
                + "(or KeePassXC) is running and not waiting on a dialog"
        case .other:
            return "Secret Service error: \(detail)"
        }
    }

    /// A longer hint for stderr, where there is more to say than fits one line.
    public var hint: String? {
        switch code {
        case .collectionLocked:
            return """
                hint: the keyring is locked. A credential helper never asks on the terminal; in a graphical
                hint: session it shows the keyring's own unlock prompt (DOCKER_CREDENTIAL_ACR_HELPER_UNLOCK_TIMEOUT).
                hint: on a desktop, unlock the "\(collection)" keyring in Passwords and Keys (seahorse).
                hint: over SSH or on a server, run: gnome-keyring-daemon --replace --unlock --components=secrets
                hint: then type the keyring password and press Ctrl-D.
                """
        case .noSessionBus:
            return """
                hint: the Secret Service lives on your login session's D-Bus; under sudo use sudo -E, \
                or run docker as your user (docker group).
                """
        default:
            return nil
        }
    }
}
