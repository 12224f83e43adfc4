/// Which program answers as the Secret Service: they differ in how they lock, confirm and delete,
/// so what a user must do to fix something depends on it.
package enum SecretServiceProduct: Sendable, Equatable {
    case gnomeKeyring
    case keePassXC
    case kWallet
    /// Another program, by its process name.
    case other(String)

    /// Tells the product from the name of the process that owns `org.freedesktop.secrets`
    /// (`/proc/PID/comm`, at most 15 characters).
    package init(processName: String) {
        switch processName {
        case let name where name.hasPrefix("gnome-keyring"): self = .gnomeKeyring
        case let name where name.lowercased().hasPrefix("keepassxc"): self = .keePassXC
        case let name where name.hasPrefix("kwalletd") || name.hasPrefix("ksecretd"): self = .kWallet
        default: self = .other(processName)
        }
    }

    /// The name users know it by.
    package var name: String {
        switch self {
        case .gnomeKeyring: "GNOME Keyring"
        case .keePassXC: "KeePassXC"
        case .kWallet: "KWallet"
        case .other(let process): "the Secret Service (\(process))"
        }
    }

    /// How a user unlocks the collection (or database, or wallet) of this service.
    package var unlockAdvice: String {
        switch self {
        case .gnomeKeyring:
            "desktop: open Passwords and Keys; headless: gnome-keyring-daemon --replace --unlock"
        case .keePassXC: "unlock the database in KeePassXC"
        case .kWallet: "open the wallet in KWallet Manager, or log in again so that pam_kwallet opens it"
        case .other: "unlock it in your password manager"
        }
    }

    /// How a user makes a collection the helper can use.
    package var collectionAdvice: String {
        switch self {
        case .gnomeKeyring: "create one and make it the default (Passwords and Keys: New Password Keyring)"
        case .keePassXC:
            "open a database in KeePassXC and expose a group of it (Database Settings: Secret Service Integration)"
        case .kWallet: "create a wallet in KWallet Manager and make it the default"
        case .other: "create one in your password manager"
        }
    }
}
