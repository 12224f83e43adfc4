import ACR
import ArgumentParser
import FileSystem
import Glibc

/// `configure-docker`: names this helper for ACR hosts in docker's `credHelpers`.
struct ConfigureDockerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "configure-docker",
        abstract: "Send ACR registry hosts to this helper in docker's config.json (credHelpers).",
        discussion: """
            Every other key and entry of the file is kept; running it again changes nothing. Only the hosts \
            you use should be listed: docker's classic builder calls every helper listed.

            Example: docker-credential-acr-helper configure-docker --region cn-hangzhou
            Example: docker-credential-acr-helper configure-docker --registries myee-registry.cn-hangzhou.cr.aliyuncs.com
            """)

    @Option(name: .long, parsing: .singleValue, help: "Registry hosts, comma-separated.")
    var registries: [String] = []

    @Option(
        name: .long, parsing: .singleValue, help: "A region whose Personal Edition hosts to add (public, vpc, intl).")
    var region: [String] = []

    @Option(
        name: .long, help: "The docker config file (default: $DOCKER_CONFIG/config.json, else ~/.docker/config.json).")
    var config: String?

    /// The value docker turns into `docker-credential-acr-helper`.
    static let helperName = "acr-helper"

    func validate() throws {
        if registries.isEmpty && region.isEmpty { throw ValidationError("give --registries HOSTS or --region REGION") }
        for name in region where !RegistryHosts.isRegion(name) {
            throw ValidationError("--region takes a region ID such as cn-hangzhou, not \(name)")
        }
    }

    func run() throws {
        let context = try HelperContext.run { context throws(ACRError) in context }
        let hosts = try self.hosts()
        guard let path = config ?? DockerConfig.path(environment: context.environment) else {
            throw AdminFailure("no docker config to edit: set HOME or DOCKER_CONFIG, or give --config")
        }
        let changes = try HelperContext.run { _ throws(ACRError) in
            try DockerConfig.setHelper(Self.helperName, for: hosts, in: path)
        }
        for change in changes { print(change) }
        if !DockerConfig.helperIsOnPath(environment: context.environment) {
            writeAll(
                "warning: docker runs docker-credential-acr-helper from PATH, and it is not there: "
                    + "install it (sudo make install) or link it into a folder on PATH\n", to: 2)
        }
    }

    private func hosts() throws -> [String] {
        var hosts: [String] = []
        for name in registries.flatMap({ $0.split(separator: ",") }).map({ String($0).trimmingWhitespace() })
        where !name.isEmpty {
            do {
                hosts.append(try ServerAddress(parsing: name).description)
            } catch {
                throw ValidationError("\(name): \(error.message)")
            }
        }
        for name in region {
            hosts += [
                "registry.\(name).aliyuncs.com", "registry-vpc.\(name).aliyuncs.com",
                "registry-intl.\(name).aliyuncs.com",
            ]
        }
        var seen = Set<String>()
        return hosts.filter { seen.insert($0).inserted }
    }
}

/// docker's config file, edited through ``JSONTree`` so that every other key stays as it was.
enum DockerConfig {
    /// `$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`.
    static func path(environment: [String: String]) -> String? {
        if let folder = environment.variable("DOCKER_CONFIG") { return folder + "/config.json" }
        if let home = environment.variable("HOME") { return home + "/.docker/config.json" }
        return nil
    }

    /// The parsed file (`{}` when it does not exist).
    static func read(_ path: String) throws(ACRError) -> JSONTree {
        guard let bytes = try UserFiles.read(path),
            !String(decoding: bytes, as: UTF8.self).trimmingWhitespace().isEmpty
        else { return .object([]) }
        let tree: JSONTree
        do {
            tree = try JSONTree.parse(bytes)
        } catch {
            throw ACRError(.invalidSetting, "\(path) is \(error): fix it by hand first")
        }
        guard case .object = tree else { throw ACRError(.invalidSetting, "\(path) is not a JSON object") }
        return tree
    }

    /// Sets `credHelpers[host] = helper` for each host, writing the file only if that changes it.
    /// - Returns: a line per host saying what happened.
    static func setHelper(_ helper: String, for hosts: [String], in path: String) throws(ACRError) -> [String] {
        let original = try read(path)
        var tree = original
        var helpers = tree["credHelpers"] ?? .object([])
        guard case .object = helpers else { throw ACRError(.invalidSetting, "\(path): credHelpers is not an object") }
        var lines: [String] = []
        for host in hosts {
            let current = helpers[host]?.stringValue
            if current == helper {
                lines.append("\(host): already sent to docker-credential-\(helper)")
                continue
            }
            helpers.set(host, .string(helper))
            lines.append(
                "\(host): now sent to docker-credential-\(helper)"
                    + (current.map { " (was docker-credential-\($0))" } ?? ""))
        }
        tree.set("credHelpers", helpers)
        if tree != original {
            let folder = String(path[..<(path.lastIndex(of: "/") ?? path.startIndex)])
            if !folder.isEmpty { mkdir(folder, 0o700) }
            try UserFiles.replace(path, with: Array((tree.written() + "\n").utf8), mode: 0o600)
            lines.append("wrote \(path)")
        }
        return lines
    }

    /// Whether docker will find `docker-credential-acr-helper` on PATH.
    static func helperIsOnPath(environment: [String: String]) -> Bool {
        (environment["PATH"] ?? "").split(separator: ":").contains { folder in
            access("\(folder)/docker-credential-acr-helper", X_OK) == 0
        }
    }
}
