import Foundation

/// A private D-Bus session bus with a Secret Service, started by `scripts/private-keyring` in a
/// temporary folder, for tests that run the helper as a separate process. Never the user's keyring.
///
/// The Secret Service is the one the test process itself runs beside (`PRIVATE_KEYRING_SERVICE`,
/// which the test command sets for each pass): GNOME Keyring, KeePassXC or KWallet.
package final class PrivateKeyring: @unchecked Sendable {
    /// The Secret Services the tests run against.
    package enum Service: String, Sendable, CaseIterable {
        case gnomeKeyring = "gnome-keyring"
        case keePassXC = "keepassxc"
        case kWallet = "kwallet"

        /// The service of this test process's pass (GNOME Keyring outside any).
        package static var current: Service {
            Service(rawValue: ProcessInfo.processInfo.environment["PRIVATE_KEYRING_SERVICE"] ?? "") ?? .gnomeKeyring
        }

        /// The label of the default collection a fresh keyring of this service has.
        package var defaultCollectionLabel: String {
            switch self {
            case .gnomeKeyring: "Login"
            case .keePassXC: "Passwords"
            case .kWallet: "kdewallet"
            }
        }
    }

    /// How the keyring starts.
    package enum Mode: String, Sendable {
        /// An unlocked `login` collection as the default alias.
        case unlocked = ""
        /// The collection exists but was never unlocked since the daemon started.
        case locked = "--locked"
        /// A bus on which nobody provides org.freedesktop.secrets.
        case noSecretService = "--no-secret-service"
        /// gnome-keyring running with no keyring at all: no `default` alias.
        case noCollection = "--no-collection"
    }

    /// The folder holding the bus socket, the keyring files and the pids.
    package let directory: String
    /// The Secret Service running on its bus.
    package let service: Service
    /// The variables a process needs to use this bus (and nothing of the caller's session).
    package let environment: [String: String]

    /// Starts one.
    /// - Parameters:
    ///   - mode: how it starts.
    ///   - service: which Secret Service (default: the one of this test pass).
    ///   - strict: KeePassXC only: with its own defaults (every item access and deletion
    ///     confirmed, a search while locked waiting on an unlock dialog).
    ///   - recycleBin: KeePassXC only: whether its database moves deleted entries to a Recycle Bin
    ///     (its default) rather than deleting them for good (which it asks to confirm).
    ///   - autosave: KeePassXC only: whether it saves its database file after every change (its
    ///     default, off in tests: see `scripts/private-keyring`), for tests that read the file.
    package init(
        _ mode: Mode = .unlocked, service: Service = .current, strict: Bool = false, recycleBin: Bool = true,
        autosave: Bool = false
    ) throws {
        directory = try makeTemporaryDirectory(prefix: "private-keyring")
        self.service = service
        var arguments = ["start", directory, "--service", service.rawValue]
        if !mode.rawValue.isEmpty { arguments.append(mode.rawValue) }
        if strict { arguments.append("--strict") }
        if !recycleBin { arguments.append("--no-recycle-bin") }
        if autosave { arguments.append("--autosave") }
        try Self.script(arguments)
        environment = try parseEnvironmentFile(directory + "/env")
    }

    /// Locks the default collection, as a screen lock does.
    package func lock() throws { try Self.script(["lock", directory]) }

    /// Restarts the Secret Service without unlocking it, as after a reboot or in an SSH session.
    package func restart() throws { try Self.script(["restart", directory]) }

    /// Freezes (SIGSTOP) or thaws (SIGCONT) the Secret Service, to stand for one that hangs.
    package func freeze(_ frozen: Bool) throws {
        let pid = try String(contentsOfFile: directory + "/keyring.pid", encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        guard let number = Int32(pid), Glibc.kill(number, frozen ? SIGSTOP : SIGCONT) == 0 else {
            throw TestFailure("cannot signal the Secret Service \(pid)")
        }
    }

    /// KeePassXC: opens a second database, "Other", to which KeePassXC moves its `default` alias.
    package func openOtherDatabase() throws { try Self.script(["open-other", directory]) }

    /// KeePassXC: every entry of its database, Recycle Bin included, as `keepassxc-cli export`
    /// writes them (CSV: group, title, username, password, …).
    package func keePassXCEntries() throws -> String {
        let result = try runProcess(
            "/usr/bin/keepassxc-cli", ["export", "-q", "-f", "csv", directory + "/Passwords.kdbx"],
            input: Data("private-keyring-test\n".utf8), environment: baseEnvironment())
        guard result.status == 0 else { throw TestFailure("keepassxc-cli export failed: \(result.stderrText)") }
        return result.stdoutText
    }

    /// Stops the Secret Service, as a crash would.
    package func kill() throws { try Self.script(["kill", directory]) }

    /// Unlocks it again the way a user on a server would (GNOME Keyring:
    /// `gnome-keyring-daemon --replace --unlock`).
    package func unlock() throws { try Self.script(["unlock", directory]) }

    /// Whether a process owns org.freedesktop.secrets on this bus now: false once the Secret
    /// Service has stopped (or crashed).
    package func secretServiceIsRunning() throws -> Bool {
        let result = try runProcess(
            PackagePaths.script("private-keyring"), ["running", directory], environment: baseEnvironment())
        guard result.status == 0 else { throw TestFailure("private-keyring running failed: \(result.stderrText)") }
        return result.stdoutText == "running\n"
    }

    /// The last lines the Secret Service wrote (its warnings; a crash's assertion): for the
    /// message of a test that finds it stopped.
    package var serviceLogTail: String {
        let log = (try? String(contentsOfFile: directory + "/keyring.log", encoding: .utf8)) ?? ""
        return log.split(separator: "\n").suffix(30).joined(separator: "\n")
    }

    deinit { try? Self.script(["stop", directory]) }

    private static func script(_ arguments: [String]) throws {
        let result = try runProcess(PackagePaths.script("private-keyring"), arguments, environment: baseEnvironment())
        guard result.status == 0 else {
            throw TestFailure("private-keyring \(arguments.joined(separator: " ")) failed: \(result.stderrText)")
        }
    }

    /// Whether this test process itself runs inside a private keyring (the README's test command
    /// starts one around `swift test`), so in-process Secret Service tests never reach a real one.
    package static var processIsInside: Bool {
        let environment = ProcessInfo.processInfo.environment
        guard let directory = environment["PRIVATE_KEYRING_DIR"], !directory.isEmpty else { return false }
        return environment["DBUS_SESSION_BUS_ADDRESS"] == "unix:path=\(directory)/runtime/bus"
    }

    /// The process's own private keyring folder.
    package static var processDirectory: String? { ProcessInfo.processInfo.environment["PRIVATE_KEYRING_DIR"] }

    /// Says how to run the tests when they are not inside a private keyring.
    package static let outsideMessage =
        "not inside a private keyring: run the tests with `make test`, which starts one around swift test"
}

/// The environment tests start processes with: PATH and HOME only, so nothing of the caller's
/// session (its bus, its keyring, its docker config) leaks in.
package func baseEnvironment() -> [String: String] {
    let own = ProcessInfo.processInfo.environment
    return ["PATH": own["PATH"] ?? "/usr/bin:/bin", "HOME": own["HOME"] ?? "/tmp", "LANG": "C.UTF-8"]
}

func parseEnvironmentFile(_ path: String) throws -> [String: String] {
    let text = try String(contentsOfFile: path, encoding: .utf8)
    var environment: [String: String] = [:]
    for line in text.split(separator: "\n") {
        guard let equals = line.firstIndex(of: "=") else { continue }
        environment[String(line[..<equals])] = String(line[line.index(after: equals)...])
    }
    return environment
}

/// A fresh 0700 folder under the temporary folder.
package func makeTemporaryDirectory(prefix: String) throws -> String {
    var template = Array("\(NSTemporaryDirectory())/\(prefix).XXXXXX".utf8CString)
    guard let made = mkdtemp(&template) else { throw TestFailure("mkdtemp failed") }
    return String(cString: made)
}

/// A failure of the test fixtures themselves.
package struct TestFailure: Error, CustomStringConvertible {
    package let description: String
    package init(_ description: String) { self.description = description }
}
