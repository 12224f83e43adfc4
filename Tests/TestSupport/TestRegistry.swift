import Foundation

/// The Debian docker-registry on 127.0.0.1 with htpasswd auth and a one-layer image pushed to it,
/// started by `scripts/test-registry` in a temporary folder and stopped when this goes away.
package final class TestRegistry: @unchecked Sendable {
    /// The only account the registry accepts.
    package let username: String
    package let password: String
    /// `127.0.0.1:PORT`.
    package let host: String
    /// `HOST/demo/hello:v1`, pushed at start.
    package let image: String
    /// The OCI layout the image was pushed from, for clients to push again.
    package let ociLayout: String
    private let directory: String

    package init(username: String = "alice", password: String = "wonderland-\(UUID().uuidString.prefix(8))") throws {
        self.username = username
        self.password = password
        directory = try makeTemporaryDirectory(prefix: "test-registry")
        let result = try runProcess(
            PackagePaths.script("test-registry"), ["start", directory, username, password],
            environment: baseEnvironment())
        guard result.status == 0 else { throw TestFailure("test-registry start failed: \(result.stderrText)") }
        let environment = try parseEnvironmentFile(directory + "/env")
        host = environment["REGISTRY_HOST"] ?? ""
        image = environment["IMAGE"] ?? ""
        ociLayout = environment["OCI_LAYOUT"] ?? ""
    }

    /// How many times the registry has refused a wrong password for `user`, from its own log.
    package func refusedPasswords(for user: String) -> Int {
        let log = (try? String(contentsOfFile: directory + "/registry.log", encoding: .utf8)) ?? ""
        return log.components(separatedBy: #"error authenticating user \"\#(user)\": authentication failure"#).count - 1
    }

    deinit {
        _ = try? runProcess(PackagePaths.script("test-registry"), ["stop", directory], environment: baseEnvironment())
    }
}

/// What a user of docker has: a private keyring, a temporary HOME, and a docker config whose
/// `credHelpers` sends `registry` to this helper, found on PATH as docker finds helpers.
package struct ClientSession: Sendable {
    package let keyring: PrivateKeyring
    package let registry: TestRegistry
    /// The folder named by DOCKER_CONFIG.
    package let dockerConfig: String
    /// The environment every client runs with.
    package let environment: [String: String]
    /// The helper alone, in the same environment.
    package let helper: HelperBinary

    /// - Parameter extraEnvironment: more variables for every client (and so for the helper).
    package init(registry: TestRegistry, extraEnvironment: [String: String] = [:]) throws {
        self.registry = registry
        keyring = try PrivateKeyring()
        let home = try makeTemporaryDirectory(prefix: "client-home")
        dockerConfig = home + "/.docker"
        try FileManager.default.createDirectory(atPath: dockerConfig, withIntermediateDirectories: true)
        try Data(#"{"credHelpers":{"\#(registry.host)":"acr-helper"}}"#.utf8)
            .write(to: URL(fileURLWithPath: dockerConfig + "/config.json"))
        var environment = baseEnvironment().merging(keyring.environment) { $1 }
        let helperFolder = URL(fileURLWithPath: PackagePaths.helper).deletingLastPathComponent().path
        environment["PATH"] = helperFolder + ":" + (environment["PATH"] ?? "/usr/bin:/bin")
        environment["HOME"] = home
        environment["DOCKER_CONFIG"] = dockerConfig
        // skopeo and podman read this before anything else; point it at the docker config too.
        environment["REGISTRY_AUTH_FILE"] = dockerConfig + "/config.json"
        environment.merge(extraEnvironment) { $1 }
        self.environment = environment
        var helper = try HelperBinary(keyring: keyring)
        helper.environment = environment
        self.helper = helper
    }

    /// Runs a client found on PATH.
    package func run(_ tool: String, _ arguments: [String], input: String = "") throws -> ProcessResult {
        try runProcess(which(tool), arguments, input: Data(input.utf8), environment: environment)
    }

    /// The HOME every client runs with.
    package var home: String { environment["HOME"] ?? "" }

    /// The docker config file's text, to check no secret was written there.
    package var dockerConfigText: String {
        (try? String(contentsOfFile: dockerConfig + "/config.json", encoding: .utf8)) ?? ""
    }

    private func which(_ tool: String) throws -> String {
        for folder in (environment["PATH"] ?? "").split(separator: ":") {
            let path = "\(folder)/\(tool)"
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        throw TestFailure("\(tool) is not on PATH: run the tests with `make test`, which installs it")
    }
}
