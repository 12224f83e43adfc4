import ACR
import ArgumentParser
import Glibc

/// `add-key`: stores an AccessKey in the keyring, its secret typed at a hidden prompt or piped in,
/// never taken from the command line (where `ps` and shell history would show it).
struct AddKeyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add-key",
        abstract: "Store an Alibaba Cloud AccessKey in the keyring, for one registry host or all ACR registries.",
        discussion: """
            The secret is read from a prompt that does not echo, or from standard input when that is not a \
            terminal; never from the command line.

            Example: docker-credential-acr-helper add-key --access-key-id LTAI5t... \
            --server registry.cn-hangzhou.aliyuncs.com
            Example: pass show alibaba/secret | docker-credential-acr-helper add-key --access-key-id LTAI5t...
            """)

    @Option(name: .long, help: "The registry host this key is for (default: every ACR registry).")
    var server: String?

    @Option(name: .customLong("access-key-id"), help: "The AccessKey ID (LTAI…); asked for when left out.")
    var accessKeyID: String?

    @Option(name: .customLong("role-arn"), help: "A RAM role to assume with this key (acs:ram::ACCOUNT:role/NAME).")
    var roleARN: String?

    @Option(name: .customLong("role-session-name"), help: "The role session name (2–64 of A-Z a-z 0-9 . @ _ -).")
    var roleSessionName: String?

    @Option(name: .customLong("external-id"), help: "The external ID the role's trust policy asks for.")
    var externalID: String?

    @Flag(name: .long, help: "Mint a password with the key before storing it (needs --server).")
    var online = false

    func validate() throws {
        if let accessKeyID, !AccessKey.looksLikeID(accessKeyID) {
            throw ValidationError("--access-key-id must look like an AccessKey ID: LTAI and letters and digits")
        }
        if let roleARN, !RAMRole.isARN(roleARN) {
            throw ValidationError("--role-arn must look like acs:ram::ACCOUNT_ID:role/ROLE_NAME")
        }
        if let roleSessionName, !RAMRole.isSessionName(roleSessionName) {
            throw ValidationError("--role-session-name must be 2-64 of A-Z a-z 0-9 . @ _ -")
        }
        if roleARN == nil && (roleSessionName != nil || externalID != nil) {
            throw ValidationError("--role-session-name and --external-id go with --role-arn")
        }
        if online && server == nil { throw ValidationError("--online needs --server, the host to mint a password for") }
    }

    func run() throws {
        let id = try readID()
        let secret = try readSecret()
        let role = roleARN.map { RAMRole(arn: $0, sessionName: roleSessionName, externalID: externalID) }
        let key = AccessKey(id: id, secret: secret, role: role)
        let scope = try HelperContext.run { context throws(ACRError) in
            let host = try server.map { host throws(ACRError) in try ServerAddress(parsing: host) }
            if online, let host {
                try KeyCheck.mint(with: key, for: host, context: context)
            }
            try context.keyring.storeVerified(key, for: host)
            return host.map { "for \($0)" } ?? "for all ACR registries"
        }
        print("stored AccessKey \(key.maskedID) \(scope)" + (role.map { ", assuming \($0.arn)" } ?? ""))
    }

    private func readID() throws -> String {
        if let accessKeyID { return accessKeyID }
        guard Terminal.stdinIsTerminal, let typed = Terminal.ask("AccessKey ID: ", hidden: false) else {
            throw ValidationError("give --access-key-id when the secret comes from standard input")
        }
        let id = typed.trimmingWhitespace()
        guard AccessKey.looksLikeID(id) else {
            throw ValidationError("that does not look like an AccessKey ID: LTAI and letters and digits")
        }
        return id
    }

    private func readSecret() throws -> String {
        let line =
            Terminal.stdinIsTerminal
            ? Terminal.ask("AccessKey secret (not shown): ", hidden: true) : Terminal.readStandardInputLine()
        guard let secret = line?.trimmingWhitespace(), !secret.isEmpty else {
            throw AdminFailure("no AccessKey secret was given: type it at the prompt, or pipe it on standard input")
        }
        guard (8...128).contains(secret.count), secret.allSatisfy({ $0.isASCII && !$0.isWhitespace && !$0.isNewline })
        else {
            throw AdminFailure("that does not look like an AccessKey secret (8 to 128 characters, no spaces)")
        }
        return secret
    }
}

/// `list-keys`: the stored AccessKeys, masked, with what they serve.
struct ListKeysCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list-keys", abstract: "Show the AccessKeys in the keyring (IDs masked, secrets never).",
        discussion: "Example: docker-credential-acr-helper list-keys")

    func run() throws {
        let keys = try HelperContext.run { context throws(ACRError) in try context.keyring.accessKeys() }
        guard !keys.isEmpty else {
            print("no AccessKeys stored (add one: docker-credential-acr-helper add-key, or import-keys)")
            return
        }
        for stored in keys {
            let scope = stored.server ?? "all ACR registries"
            print("\(stored.key.maskedID)  \(scope)" + (stored.key.role.map { "  role \($0.arn)" } ?? ""))
        }
    }
}

/// `remove-key`: removes a stored AccessKey and the passwords it minted.
struct RemoveKeyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "remove-key", abstract: "Remove an AccessKey from the keyring, with the passwords it minted.",
        discussion: """
            Example: docker-credential-acr-helper remove-key --server registry.cn-hangzhou.aliyuncs.com
            Example: docker-credential-acr-helper remove-key --default
            """)

    @Option(name: .long, help: "Remove the key stored for this registry host.")
    var server: String?

    @Flag(name: .customLong("default"), help: "Remove the default key (for all ACR registries).")
    var defaultKey = false

    func validate() throws {
        if (server == nil) == !defaultKey { throw ValidationError("give exactly one of --server HOST and --default") }
    }

    func run() throws {
        let (removed, scope, product) = try HelperContext.run { context throws(ACRError) in
            let host = try server.map { host throws(ACRError) in try ServerAddress(parsing: host) }
            let scope = host.map { "for \($0)" } ?? "for all ACR registries"
            let removed = try context.keyring.removeAccessKey(for: host)
            return (removed, scope, removed == nil ? nil : context.keyring.secretServiceProduct())
        }
        guard let removed else { throw AdminFailure("no AccessKey is stored \(scope)") }
        print("removed AccessKey \(removed.maskedID) \(scope), and the passwords it minted")
        if let note = DeletionNote.text(for: product) { writeAll(note + "\n", to: 2) }
    }
}

/// Trying a key before storing it.
enum KeyCheck {
    /// Mints one password for `host` with `key`, so a wrong key is refused before it is stored.
    static func mint(with key: AccessKey, for host: ServerAddress, context: HelperContext) throws(ACRError) {
        let helper = context.credentialHelper
        guard let registry = try helper.registry(for: host) else {
            throw ACRError(
                .notACRRegistry, "\(host) is not an ACR registry host: --online cannot try the key there")
        }
        _ = try context.tokenClient().token(for: registry, server: host, material: .accessKey(key))
    }
}
