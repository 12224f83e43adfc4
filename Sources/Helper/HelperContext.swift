import ACR
import FileSystem
import Logging
import Synchronization

/// What every command builds from the process: environment, settings, logger, keyring. Read
/// once here; nothing below reads the environment itself.
struct HelperContext {
    let environment: [String: String]
    let settings: Settings
    let logger: Logger
    let keyring: CredentialKeyring
    /// The credential helper behind the protocol: the same one the library's entry point builds.
    let credentialHelper: ACRCredentialHelper

    /// - Throws: ``ACRError`` for a setting that cannot be used.
    static func make() throws(ACRError) -> HelperContext {
        let environment = ProcessEnvironment.current()
        let started = ContinuousClock.now
        var settings = try Settings(environment: environment)
        // One deadline for the whole process, from its start: each step takes from what is left.
        settings.processDeadline = started + settings.deadline
        let logger = makeLogger(level: settings.logLevel)
        let keyring = ACRCredentials.keyring(environment: environment, settings: settings, logger: logger)
        return HelperContext(
            environment: environment, settings: settings, logger: logger, keyring: keyring,
            credentialHelper: ACRCredentials.helper(
                environment: environment, settings: settings, keyring: keyring, logger: logger,
                userAgent: Version.userAgent,
                onPlaintextKey: { path, profile in writeAll(plaintextKeyWarning(path: path, profile: profile), to: 2) }
            ))
    }

    /// What mints passwords: ACR's API over libcurl.
    func tokenClient() -> ACRTokenClient {
        ACRCredentials.tokenClient(
            environment: environment, settings: settings, logger: logger, userAgent: Version.userAgent)
    }

    /// Logs go to stderr only: stdout belongs to the protocol. swift-log takes one bootstrap per
    /// process; later contexts share it.
    private static func makeLogger(level: Logger.Level) -> Logger {
        bootstrapped.withLock { done in
            guard !done else { return }
            LoggingSystem.bootstrap { label in
                var handler = StreamLogHandler.standardError(label: label)
                handler.logLevel = level
                return handler
            }
            done = true
        }
        return Logger(label: "docker-credential-acr-helper")
    }

    private static let bootstrapped = Mutex(false)
}

/// An admin command's failure: `Error: …` on stderr and exit 1 (the argument parser's usage code
/// is for misuse only). A hint, if any, goes to stderr first.
struct AdminFailure: Error, CustomStringConvertible {
    let message: String
    var description: String { message }

    init(_ message: String) { self.message = message }

    init(_ error: ACRError) {
        if let hints = error.hints { writeAll(hints + "\n", to: 2) }
        message = error.message
    }
}

extension HelperContext {
    /// Runs an admin command's body, turning its errors into ``AdminFailure``.
    static func run<T>(_ body: (HelperContext) throws(ACRError) -> T) throws -> T {
        do {
            return try body(try make())
        } catch {
            throw AdminFailure(error)
        }
    }
}
