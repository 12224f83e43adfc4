import ACR
import ArgumentParser

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
        let (dropped, host) = try HelperContext.run { context throws(ACRError) in
            let host = try server.map { host throws(ACRError) in try ServerAddress(parsing: host) }
            return (try context.keyring.dropTokens(for: host), host)
        }
        print("dropped \(dropped) cached password\(dropped == 1 ? "" : "s")" + (host.map { " for \($0)" } ?? ""))
    }
}
