import ACR
import ArgumentParser
import FoundationEssentials
import SecretStore

/// `clear-cache`: drops cached temporary passwords, so the next `get` mints a new one.
struct ClearCacheCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "clear-cache",
        abstract: "Drop the temporary registry passwords cached in the keyring.",
        discussion: """
            Keys and logins stay. Example: docker-credential-acr-helper clear-cache --server registry.cn-hangzhou.aliyuncs.com
            """)

    @Option(name: .long, help: "Only this registry host (default: every host).")
    var server: String?

    func run() throws {
        let environment = ProcessInfo.processInfo.environment
        do {
            let settings = try Settings(environment: environment)
            let logger = ProtocolRunner.makeLogger(level: settings.logLevel)
            let keyring = CredentialKeyring(
                store: SecretServiceStore(
                    schema: KeyringSchema.secretSchema, collection: settings.collection,
                    timeout: settings.keyringTimeout, environment: environment, logger: logger))
            let host = try server.map { try ServerAddress(parsing: $0) }
            let dropped = try keyring.dropTokens(for: host)
            print("dropped \(dropped) cached password\(dropped == 1 ? "" : "s")" + (host.map { " for \($0)" } ?? ""))
        } catch let error as ACRError {
            if let hint = error.hint { writeAll(hint + "\n", to: 2) }
            throw AdminFailure(message: error.message)
        }
    }
}

/// An admin command's failure: `error: …` on stderr and exit 1 (the argument parser's usage code
/// is for misuse only).
struct AdminFailure: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}
