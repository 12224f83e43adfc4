import Foundation

/// A private D-Bus session bus with gnome-keyring, started by `scripts/private-keyring` in a
/// temporary folder, for tests that run the helper as a separate process. Never the user's keyring.
public final class PrivateKeyring: @unchecked Sendable {
    /// How the keyring starts.
    public enum Mode: String, Sendable {
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
    public let directory: String
    /// The variables a process needs to use this bus (and nothing of the caller's session).
    public let environment: [String: String]

    /// Starts one.
    public init(_ mode: Mode = .unlocked) throws {
        directory = try makeTemporaryDirectory(prefix: "private-keyring")
        var arguments = ["start", directory]
        if !mode.rawValue.isEmpty { arguments.append(mode.rawValue) }
        try Self.script(arguments)
        environment = try parseEnvironmentFile(directory + "/env")
    }

    /// Locks the default collection, as a screen lock does.
    public func lock() throws { try Self.script(["lock", directory]) }

    /// Restarts gnome-keyring without unlocking it, as after a reboot or in an SSH session.
    public func restart() throws { try Self.script(["restart", directory]) }

    /// Freezes (SIGSTOP) or thaws (SIGCONT) gnome-keyring, to stand for a Secret Service that hangs.
    public func freeze(_ frozen: Bool) throws {
        let pid = try String(contentsOfFile: directory + "/keyring.pid", encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        guard let number = Int32(pid), Glibc.kill(number, frozen ? SIGSTOP : SIGCONT) == 0 else {
            throw TestFailure("cannot signal gnome-keyring-daemon \(pid)")
        }
    }

    /// Stops gnome-keyring, as a crash would.
    public func kill() throws { try Self.script(["kill", directory]) }

    /// Unlocks it again the way a user on a server would: `gnome-keyring-daemon --replace --unlock`.
    public func unlock() throws { try Self.script(["unlock", directory]) }

    deinit { try? Self.script(["stop", directory]) }

    private static func script(_ arguments: [String]) throws {
        let result = try runProcess(PackagePaths.script("private-keyring"), arguments, environment: baseEnvironment())
        guard result.status == 0 else {
            throw TestFailure("private-keyring \(arguments.joined(separator: " ")) failed: \(result.stderrText)")
        }
    }

    /// Whether this test process itself runs inside a private keyring (the README's test command
    /// starts one around `swift test`), so in-process Secret Service tests never reach a real one.
    public static var processIsInside: Bool {
        let environment = ProcessInfo.processInfo.environment
        guard let directory = environment["PRIVATE_KEYRING_DIR"], !directory.isEmpty else { return false }
        return environment["DBUS_SESSION_BUS_ADDRESS"] == "unix:path=\(directory)/runtime/bus"
    }

    /// The process's own private keyring folder.
    public static var processDirectory: String? { ProcessInfo.processInfo.environment["PRIVATE_KEYRING_DIR"] }

    /// Says how to run the tests when they are not inside a private keyring.
    public static let outsideMessage =
        "not inside a private keyring: run the tests with `make test`, which starts one around swift test"
}

/// The environment tests start processes with: PATH and HOME only, so nothing of the caller's
/// session (its bus, its keyring, its docker config) leaks in.
public func baseEnvironment() -> [String: String] {
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
public func makeTemporaryDirectory(prefix: String) throws -> String {
    var template = Array("\(NSTemporaryDirectory())/\(prefix).XXXXXX".utf8CString)
    guard let made = mkdtemp(&template) else { throw TestFailure("mkdtemp failed") }
    return String(cString: made)
}

/// A failure of the test fixtures themselves.
public struct TestFailure: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
