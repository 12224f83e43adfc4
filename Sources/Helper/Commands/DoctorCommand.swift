import ACR
import ArgumentParser
import FileSystem
import Glibc
import SecretStore

/// `doctor`: checks every piece the helper needs, one line each, and says how to fix what is broken.
struct DoctorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Check the session bus, the keyring, the stored keys, plaintext key files and docker's config.",
        discussion: """
            Exits 0 only when nothing is wrong. With --online, also mints a password for each registry \
            docker sends to this helper.

            Example: docker-credential-acr-helper doctor --online
            """)

    @Flag(name: .long, help: "Also mint a password for each registry configured in docker's config.")
    var online = false

    /// One check's outcome.
    struct Finding {
        let check: String
        let detail: String
        let fix: String?
        var line: String { fix.map { "problem  \(check): \(detail); fix: \($0)" } ?? "ok       \(check): \(detail)" }
    }

    func run() throws {
        let context: HelperContext
        do {
            context = try HelperContext.make()
        } catch {
            print(Finding(check: "settings", detail: error.message, fix: "correct the variable").line)
            throw ExitCode(1)
        }
        var findings: [Finding] = []
        findings.append(sudo(context.environment))
        findings += keyring(context)
        findings += plaintextFiles(context.environment)
        let (dockerFindings, registries) = docker(context.environment)
        findings += dockerFindings
        if online { findings += mint(registries, context: context) }
        for finding in findings { print(finding.line) }
        if findings.contains(where: { $0.fix != nil }) { throw ExitCode(1) }
    }

    private func sudo(_ environment: [String: String]) -> Finding {
        guard getuid() == 0, let user = environment.variable("SUDO_USER") else {
            return Finding(check: "user", detail: "not running under sudo", fix: nil)
        }
        let hasBus = environment.variable("DBUS_SESSION_BUS_ADDRESS") != nil
        return Finding(
            check: "user", detail: "running under sudo for \(user)" + (hasBus ? "" : " without \(user)'s session bus"),
            fix: hasBus
                ? nil : "run docker as \(user) (add \(user) to the docker group), or keep the session with sudo -E")
    }

    /// The session bus, the Secret Service, the collection, and the keys in it: each its own line.
    private func keyring(_ context: HelperContext) -> [Finding] {
        let environment = context.environment
        let address = environment.variable("DBUS_SESSION_BUS_ADDRESS") ?? ""
        let socket = (environment.variable("XDG_RUNTIME_DIR") ?? "") + "/bus"
        var bus = Finding(check: "session bus", detail: address.isEmpty ? socket : address, fix: nil)
        if address.isEmpty && access(socket, F_OK) != 0 {
            return [
                Finding(
                    check: "session bus", detail: "DBUS_SESSION_BUS_ADDRESS is not set and there is no \(socket)",
                    fix: "run in your login session, or start one with dbus-run-session and gnome-keyring")
            ]
        }
        let collection = context.settings.collection
        let environmentKey = EnvironmentKeySource(environment: environment).key
        let product = context.keyring.secretServiceProduct()
        let service = secretService(product)
        do {
            let keys = try context.keyring.accessKeys()
            var findings = [bus, service, Finding(check: "collection", detail: "\"\(collection)\" unlocked", fix: nil)]
            if keys.isEmpty && environmentKey == nil {
                findings.append(
                    Finding(
                        check: "keys", detail: "no AccessKey stored",
                        fix: "docker-credential-acr-helper import-keys --delete-source, or add-key"))
            } else {
                let shown =
                    keys.map { "\($0.key.maskedID) (\($0.server ?? "all ACR registries"))" }
                    + (environmentKey.map { ["\($0.maskedID) (environment)"] } ?? [])
                findings.append(Finding(check: "keys", detail: shown.joined(separator: ", "), fix: nil))
            }
            return findings
        } catch {
            switch error.keyringCause {
            case .noSessionBus?:
                bus = Finding(
                    check: "session bus", detail: error.message, fix: "start or join your login session's bus")
                return [bus]
            case .noSecretService?:
                return [
                    bus,
                    Finding(
                        check: "Secret Service", detail: error.message,
                        fix: "install and start gnome-keyring, or enable KeePassXC's or KWallet's Secret Service"),
                ]
            case .collectionLocked?:
                return [
                    bus, service,
                    Finding(
                        check: "collection", detail: error.message,
                        fix: "unlock it (" + (product ?? .gnomeKeyring).unlockAdvice + ")"),
                ]
            case .collectionMissing?:
                return [
                    bus, service,
                    Finding(
                        check: "collection", detail: error.message,
                        fix: (product ?? .gnomeKeyring).collectionAdvice
                            + ", or set DOCKER_CREDENTIAL_ACR_HELPER_COLLECTION"),
                ]
            case .accessNotAllowed?, .confirmationNeeded?, .elsewhere?:
                return [bus, service, Finding(check: "collection", detail: error.message, fix: "see the message")]
            default:
                return [bus, Finding(check: "Secret Service", detail: error.message, fix: "see the message")]
            }
        }
    }

    /// Which program answers as the Secret Service; under KWallet, whether the encryption plugin
    /// its sessions need is installed (only a Recommends of its package: without it every write
    /// fails and reads find nothing).
    private func secretService(_ product: SecretServiceProduct?) -> Finding {
        guard let product else { return Finding(check: "Secret Service", detail: "answering", fix: nil) }
        if product == .kWallet && !Self.kWalletCryptoPluginInstalled() {
            return Finding(
                check: "Secret Service",
                detail: "KWallet answering, without the QCA OpenSSL plugin (libqca-ossl) its encrypted sessions need",
                fix: "apt install libqca-qt5-2-plugins (Debian, Ubuntu; qca-qt5-ossl or qca-qt6-ossl elsewhere)")
        }
        return Finding(check: "Secret Service", detail: "\(product.name) answering", fix: nil)
    }

    /// Where distributions install QCA's OpenSSL plugin, for Qt 5 and Qt 6 (Debian and Ubuntu in
    /// the first two).
    static let kWalletCryptoPluginPatterns = [
        "/usr/lib/*/qca-qt5/crypto/libqca-ossl.so", "/usr/lib/*/qca-qt6/crypto/libqca-ossl.so",
        "/usr/lib/*/qt5/plugins/crypto/libqca-ossl.so", "/usr/lib/*/qt6/plugins/crypto/libqca-ossl.so",
        "/usr/lib64/qt5/plugins/crypto/libqca-ossl.so", "/usr/lib64/qt6/plugins/crypto/libqca-ossl.so",
        "/usr/lib/qt/plugins/crypto/libqca-ossl.so", "/usr/lib/qt6/plugins/crypto/libqca-ossl.so",
    ]

    /// Whether any of `patterns` names an existing file.
    static func kWalletCryptoPluginInstalled(patterns: [String] = kWalletCryptoPluginPatterns) -> Bool {
        patterns.contains { pattern in
            var found = glob_t()
            defer { globfree(&found) }
            return glob(pattern, 0, nil, &found) == 0 && found.gl_pathc > 0
        }
    }

    private func plaintextFiles(_ environment: [String: String]) -> [Finding] {
        var findings: [Finding] = []
        for (path, format) in CredentialFiles.files(environment: environment) {
            let names = (try? CredentialFiles.profilesWithSecrets(at: path, format: format)) ?? []
            guard !names.isEmpty else { continue }
            findings.append(
                Finding(
                    check: "plaintext keys",
                    detail: "\(path) holds the AccessKey secret of profile \(names.joined(separator: ", "))",
                    fix:
                        "docker-credential-acr-helper import-keys --from \(format.rawValue) --profile \(names[0]) --delete-source"
                ))
        }
        if findings.isEmpty { findings.append(Finding(check: "plaintext keys", detail: "none found", fix: nil)) }
        return findings
    }

    private func docker(_ environment: [String: String]) -> ([Finding], [String]) {
        guard let path = DockerConfig.path(environment: environment) else {
            return ([Finding(check: "docker config", detail: "no HOME or DOCKER_CONFIG", fix: "set HOME")], [])
        }
        var findings: [Finding] = []
        let tree: JSONTree
        do {
            tree = try DockerConfig.read(path)
        } catch {
            return ([Finding(check: "docker config", detail: error.message, fix: "fix the file by hand")], [])
        }
        var registries: [String] = []
        if case .object(let helpers)? = tree["credHelpers"] {
            registries = helpers.filter { $0.1.stringValue == ConfigureDockerCommand.helperName }.map(\.0)
        }
        let sendsAll = tree["credsStore"]?.stringValue == ConfigureDockerCommand.helperName
        if registries.isEmpty && !sendsAll {
            findings.append(
                Finding(
                    check: "docker config", detail: "\(path) sends no registry to this helper",
                    fix: "docker-credential-acr-helper configure-docker --region REGION (or --registries HOSTS)"))
        } else {
            let detail = sendsAll ? "every registry (credsStore)" : registries.joined(separator: ", ")
            findings.append(Finding(check: "docker config", detail: "\(path) sends \(detail) here", fix: nil))
        }
        if sendsAll && environment.variable(Settings.prefix + "INSTANCE_ID") != nil {
            findings.append(
                Finding(
                    check: "instance variables",
                    detail: "\(Settings.prefix)INSTANCE_ID is set while this helper is docker's credsStore: "
                        + "it would mint ACR passwords for docker.io and every other registry",
                    fix: "unset it here and use a per-host wrapper in credHelpers, or pin hosts in config.json"))
        }
        findings.append(
            DockerConfig.helperIsOnPath(environment: environment)
                ? Finding(check: "PATH", detail: "docker-credential-acr-helper found on PATH", fix: nil)
                : Finding(
                    check: "PATH", detail: "docker-credential-acr-helper is not on PATH, where docker looks for it",
                    fix: "sudo make install, or link it into a folder on PATH"))
        return (findings, registries)
    }

    private func mint(_ registries: [String], context: HelperContext) -> [Finding] {
        let helper = context.credentialHelper
        var findings: [Finding] = []
        for host in registries {
            do throws(ACRError) {
                let login = try helper.get(host)
                findings.append(Finding(check: "online \(host)", detail: "a password for \(login.username)", fix: nil))
            } catch {
                let fix =
                    error.code == .notFound
                    ? "docker-credential-acr-helper add-key --server \(host)" : "see the message"
                findings.append(Finding(check: "online \(host)", detail: error.message, fix: fix))
            }
        }
        return findings
    }
}
