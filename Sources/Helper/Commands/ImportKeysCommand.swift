import ACR
import ArgumentParser
import FileSystem

/// `import-keys`: copies an AccessKey users already keep in a plaintext file (or the environment)
/// into the keyring, and with `--delete-source` takes the secret out of the file.
struct ImportKeysCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import-keys",
        abstract:
            "Copy an AccessKey from ~/.alibabacloud/credentials, ~/.aliyun/config.json or the environment into the keyring.",
        discussion: """
            --from auto tries the environment, then the aliyun CLI's config, then the credentials file. \
            With --delete-source, once the keyring reads the key back unchanged, its secret is removed from \
            the file (every other line kept, with its owner and mode).

            Example: docker-credential-acr-helper import-keys --delete-source
            Example: docker-credential-acr-helper import-keys --from aliyun-cli --profile work --server myee-registry.cn-hangzhou.cr.aliyuncs.com
            """)

    @Option(name: .long, help: "auto, env, aliyun-cli, credentials-file, or the path of such a file.")
    var from = "auto"

    @Option(name: .long, help: "The profile (default: ALIBABA_CLOUD_PROFILE, else the file's own default).")
    var profile: String?

    @Option(name: .long, help: "The registry host this key is for (default: every ACR registry).")
    var server: String?

    @Flag(name: .customLong("delete-source"), help: "Remove the secret from the file once it is in the keyring.")
    var deleteSource = false

    func validate() throws {
        if deleteSource && from == "env" {
            throw ValidationError("--delete-source works on files; unset the environment variables yourself")
        }
    }

    func run() throws {
        let outcome = try HelperContext.run { context throws(ACRError) in try importKey(context) }
        print(outcome)
    }

    private func importKey(_ context: HelperContext) throws(ACRError) -> String {
        let host = try server.map { host throws(ACRError) in try ServerAddress(parsing: host) }
        let scope = host.map { "for \($0)" } ?? "for all ACR registries"
        let (key, origin, file) = try source(context.environment)
        if let file {
            writeAll(
                "warning: the secret of profile \(file.secretProfile) will be removed from \(file.file): other tools "
                    + "reading that profile (aliyun CLI, SDKs, Terraform) will no longer find it there\n", to: 2)
        }
        try context.keyring.storeVerified(key, for: host)
        var lines = [
            "imported AccessKey \(key.maskedID) from \(origin) \(scope)"
                + (key.role.map { ", assuming \($0.arn)" } ?? "")
        ]
        if let file {
            let path = Files.resolve(file.file)
            guard let bytes = try UserFiles.read(path) else {
                throw ACRError(.invalidSetting, "\(path) went away before its secret could be removed")
            }
            try UserFiles.replace(path, with: CredentialFiles.withoutSecret(bytes, of: file, note: movedSecretNote))
            lines.append("removed its secret from \(file.file); the key now lives only in the keyring")
        }
        return lines.joined(separator: "\n")
    }

    /// The key to import, where it came from, and the file profile to take its secret out of.
    private func source(_ environment: [String: String]) throws(ACRError) -> (
        AccessKey, String, CredentialFiles.Profile?
    ) {
        var refusals: [String] = []
        let candidates: [String] = from == "auto" ? ["env", "aliyun-cli", "credentials-file"] : [from]
        for candidate in candidates {
            if candidate == "env" {
                let source = EnvironmentKeySource(environment: environment)
                if let key = source.key { return (key, "the environment", nil) }
                refusals.append("ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET are not set")
                continue
            }
            let (path, format): (String?, CredentialFiles.Format?) =
                switch candidate {
                case "aliyun-cli": (CredentialFiles.aliyunCLIPath(environment: environment), .aliyunCLI)
                case "credentials-file":
                    (CredentialFiles.credentialsFilePath(environment: environment), .credentialsFile)
                default: (candidate, nil)
                }
            guard let path else { continue }
            guard
                let found = try CredentialFiles.profile(
                    at: path, format: format, named: profile, environment: environment)
            else {
                refusals.append("\(path) does not exist")
                continue
            }
            guard let key = found.key else {
                refusals.append(found.refusal ?? "\(path) holds no key")
                continue
            }
            return (key, "profile \(found.name) of \(path)", deleteSource ? found : nil)
        }
        throw ACRError(.notFound, "nothing to import: " + refusals.joined(separator: "; "))
    }
}
