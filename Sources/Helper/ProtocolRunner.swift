import ACR
import FoundationEssentials
import Logging
import SecretStore

/// Wires the engine to the real parts: the process environment, the Secret Service, the lock
/// folder, standard input and output.
enum ProtocolRunner {
    /// Runs one protocol action for this process and returns its exit status.
    static func run(_ action: ProtocolAction) -> Int32 {
        let environment = ProcessInfo.processInfo.environment
        var output = ""
        var diagnostics = ""
        let status: Int32
        do {
            let settings = try Settings(environment: environment)
            let logger = makeLogger(level: settings.logLevel)
            let store = SecretServiceStore(
                schema: KeyringSchema.secretSchema, collection: settings.collection,
                timeout: settings.keyringTimeout, environment: environment, logger: logger)
            let helper = ACRCredentialHelper(
                keyring: CredentialKeyring(store: store),
                sources: CredentialSources.standard(environment: environment),
                minter: ACRTokenClient(
                    transport: CurlTransport(environment: environment, userAgent: Version.userAgent),
                    settings: settings, memory: InstanceMemory(environment: environment), logger: logger),
                config: loadConfig(environment, logger: logger),
                locks: HostLocks(environment: environment), settings: settings, logger: logger)
            let engine = ProtocolEngine(helper: helper, version: Version.current)
            let input = StandardInput(action: action, timeout: settings.deadline)
            status = engine.run(action, input: input, output: &output, diagnostics: &diagnostics)
        } catch {
            output = error.message + "\n"
            status = 1
        }
        writeAll(diagnostics, to: 2)
        writeAll(output, to: 1)
        return status
    }

    /// The config file; one that cannot be used is skipped with a warning, so that a mistake in
    /// it never breaks docker for the hosts it does not name.
    static func loadConfig(_ environment: [String: String], logger: Logger) -> ConfigFile {
        do {
            return try ConfigFile.load(environment: environment)
        } catch {
            logger.warning("ignoring the config file: \(error.message)")
            return ConfigFile()
        }
    }

    /// Logs go to stderr only: stdout belongs to the protocol.
    static func makeLogger(level: Logger.Level) -> Logger {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        return Logger(label: "docker-credential-acr-helper")
    }
}
