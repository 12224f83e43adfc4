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
        let (dropped, host, product) = try HelperContext.run { context throws(ACRError) in
            let host = try server.map { host throws(ACRError) in try ServerAddress(parsing: host) }
            let dropped = try context.keyring.dropTokens(for: host)
            return (dropped, host, dropped == 0 ? nil : context.keyring.secretServiceProduct())
        }
        print("dropped \(dropped) cached password\(dropped == 1 ? "" : "s")" + (host.map { " for \($0)" } ?? ""))
        if let note = DeletionNote.text(for: product) { writeAll(note + "\n", to: 2) }
    }
}
