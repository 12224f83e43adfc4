/// Why the Secret Service could not be used, each cause with its own message and fix.
///
/// Every bus failure is translated into one of these at the boundary; "locked", "no bus" and "not
/// found" are never collapsed into one.
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
        /// The collection is open, but the service keeps the items locked for this program until
        /// the user allows it (KeePassXC's "Confirm when applications access entries").
        case accessNotAllowed
        /// The service asks the user to confirm a deletion, and no one can answer here.
        case confirmationNeeded
        /// The collection (alias or label) does not exist.
        case collectionMissing
        /// The collection holds none of the items asked for, while another unlocked collection
        /// does (such as after KeePassXC moved its `default` alias to another database).
        case elsewhere
        /// The Secret Service did not answer in time.
        case timedOut
        /// Anything else, with the bus's or the service's message.
        case other
    }

    /// What kind of failure this is.
    public let code: Code
    /// The collection concerned (alias or label), where known.
    package let collection: String
    /// The bus's or the service's own message, or the detail we found; for `.elsewhere`, the collection that holds
    /// the items.
    package let detail: String
    /// The D-Bus error name the service answered with, if it answered with one.
    package let remoteName: String
    /// The program answering as the Secret Service, where known: messages name it and its fix.
    package var product: SecretServiceProduct?

    /// Makes an error.
    package init(
        _ code: Code, collection: String = "", detail: String = "", remoteName: String = "",
        product: SecretServiceProduct? = nil
    ) {
        self.code = code
        self.collection = collection
        self.detail = detail
        self.remoteName = remoteName
        self.product = product
    }

    /// The Secret Service did not answer within `limit`: said in whole seconds, or in
    /// milliseconds below one (what was left of a short deadline), never as "0 s".
    static func timedOut(after limit: Duration, collection: String) -> SecretStoreError {
        let said = limit < .seconds(1) ? "\(Int(limit / .milliseconds(1))) ms" : "\(limit.components.seconds) s"
        return SecretStoreError(.timedOut, collection: collection, detail: said)
    }

    /// There is no session bus to connect to: neither its address nor the runtime folder's socket.
    static func noBusAddress(collection: String) -> SecretStoreError {
        SecretStoreError(
            .noSessionBus, collection: collection,
            detail: "DBUS_SESSION_BUS_ADDRESS is not set and there is no $XDG_RUNTIME_DIR/bus")
    }

    /// How the program using the store names another collection (such as a variable to set), for
    /// the messages that advise it; `nil`: "name another collection".
    package var collectionSetting: String?
    /// The setting that bounds the wait for an unlock prompt, if the program has one, for the hint.
    package var unlockTimeoutSetting: String?

    private var nameAnother: String { collectionSetting.map { "set \($0)" } ?? "name another collection" }

    /// The product as the messages name it.
    private var serviceName: String { product?.name ?? "the Secret Service" }

    /// How to unlock, for this product or (when it could not be told) for the common ones.
    private var unlockAdvice: String {
        product?.unlockAdvice
            ?? "desktop: open Passwords and Keys, KeePassXC or KWallet Manager; "
            + "headless: gnome-keyring-daemon --replace --unlock"
    }

    /// One line: what failed and how to fix it.
    public var description: String {
        switch code {
        case .noSessionBus:
            return "no D-Bus session bus (\(detail)): run it in your desktop session, or start one with "
                + "dbus-run-session and a Secret Service such as gnome-keyring-daemon"
        case .noSecretService:
            return "no Secret Service on the D-Bus session bus (\(detail)): install and start "
                + "gnome-keyring (apt install gnome-keyring), enable KeePassXC's Secret Service integration, "
                + "or enable KWallet's (kwalletrc: [org.freedesktop.secrets] apiEnabled=true)"
        case .collectionLocked:
            return "the keyring collection \"\(collection)\" is locked"
                + (detail.isEmpty ? "" : " (\(detail))")
                + ": unlock it and try again (\(unlockAdvice))"
        case .accessNotAllowed:
            return "\(serviceName) has not allowed this program to use its items in \"\(collection)\""
                + (detail.isEmpty ? "" : " (\(detail))")
                + (product == .keePassXC
                    ? ": allow this program when KeePassXC asks (in a graphical session), or turn "
                        + "off \"Confirm when passwords are retrieved by clients\" in KeePassXC's Secret Service "
                        + "Integration settings"
                    : ": allow it in \(serviceName) and try again")
        case .confirmationNeeded:
            return "\(serviceName) asks to confirm each deletion from \"\(collection)\""
                + (detail.isEmpty ? ", and no one can answer without a display" : " (\(detail))")
                + (product == .keePassXC
                    ? ": run it again in your graphical session and confirm, or turn off \"Confirm when clients "
                        + "request entry deletion\" in KeePassXC's Secret Service Integration settings"
                    : ": run it again in your graphical session and confirm")
        case .collectionMissing:
            return "the keyring has no collection \"\(collection)\": "
                + (product ?? .gnomeKeyring).collectionAdvice + ", or \(nameAnother)"
        case .elsewhere:
            return "the keyring collection \"\(collection)\" holds none of this helper's items, but \"\(detail)\" "
                + "does: \(nameAnother)=\"\(detail)\", or make \"\(detail)\" the default again"
                + (product == .keePassXC ? " (KeePassXC makes the database opened last the default)" : "")
        case .timedOut:
            return "the Secret Service did not answer within \(detail): check that "
                + (product.map { "\($0.name) is" }
                    ?? "your Secret Service (gnome-keyring-daemon, KeePassXC, KWallet) is")
                + " running and not waiting on a dialog"
        case .other where detail.contains("libqca-ossl"):
            // KWallet without the QCA plugin its encrypted sessions need.
            return "Secret Service error: \(detail): install it (Debian, Ubuntu: apt install libqca-qt5-2-plugins)"
        case .other:
            return "Secret Service error: \(detail)"
        }
    }

    /// A longer hint for stderr, where there is more to say than fits one line.
    package var hint: String? {
        switch code {
        case .collectionLocked:
            let unlock: String
            switch product ?? .gnomeKeyring {
            case .gnomeKeyring:
                unlock = """
                    hint: on a desktop, unlock the "\(collection)" keyring in Passwords and Keys (seahorse).
                    hint: over SSH or on a server, run: gnome-keyring-daemon --replace --unlock --components=secrets
                    hint: then type the keyring password and press Ctrl-D.
                    """
            case .keePassXC:
                unlock = "hint: unlock the database \"\(collection)\" in KeePassXC's window."
            case .kWallet:
                unlock = "hint: open the wallet \"\(collection)\" in KWallet Manager (kwalletmanager5)."
            case .other(let process):
                unlock = "hint: unlock \"\(collection)\" in the program that serves the Secret Service (\(process))."
            }
            return """
                hint: the keyring is locked. A credential helper never asks on the terminal; in a graphical
                hint: session it shows the keyring's own unlock prompt\(unlockTimeoutSetting.map { " (\($0))" } ?? "").
                \(unlock)
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
