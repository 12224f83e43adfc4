import FileSystem
import FoundationEssentials
import Logging

/// The non-secret settings file, `$XDG_CONFIG_HOME/docker-credential-acr-helper/config.json`
/// (`~/.config/…`): registry hosts pinned to an instance, such as custom domains.
///
///     {"registries": {"registry.example.com": {"instance_id": "cri-…", "region": "cn-hangzhou"}}}
///
/// Other members, and other options beside `instance_id` and `region`, are ignored.
package struct ConfigFile: Sendable, Equatable {
    /// The pinned hosts, by `host` or `host:port`, lower-case.
    package var registries: [String: ConfiguredRegistry]

    package init(registries: [String: ConfiguredRegistry] = [:]) {
        self.registries = registries
    }

    /// Where the file is for `environment`, or `nil` without `XDG_CONFIG_HOME` or `HOME`.
    package static func path(environment: [String: String]) -> String? {
        XDGFolders.config(environment).map { $0 + "/docker-credential-acr-helper/config.json" }
    }

    /// Reads the file; a missing one is empty.
    /// - Throws: ``ACRError`` `.invalidSetting` for a file that cannot be read or understood.
    package static func load(environment: [String: String]) throws(ACRError) -> ConfigFile {
        guard let path = path(environment: environment), let bytes = try UserFiles.read(path) else {
            return ConfigFile()
        }
        return try parse(bytes, path: path)
    }

    /// Parses the file's bytes.
    package static func parse(_ bytes: [UInt8], path: String) throws(ACRError) -> ConfigFile {
        struct Document: Decodable { let registries: [String: ConfiguredRegistry]? }
        let document: Document
        do {
            document = try JSONDecoder().decode(Document.self, from: Data(bytes))
        } catch {
            throw ACRError(
                .invalidSetting,
                "\(path) is not valid: expected {\"registries\": {\"HOST\": {\"instance_id\": \"cri-…\", "
                    + "\"region\": \"cn-hangzhou\"}}}")
        }
        var registries: [String: ConfiguredRegistry] = [:]
        for (host, entry) in document.registries ?? [:] {
            guard let address = try? ServerAddress(parsing: host), RegistryHosts.isRegion(entry.region),
                !entry.instanceID.isEmpty
            else {
                throw ACRError(
                    .invalidSetting, "\(path): the entry for \(host) needs a host name, an instance_id and a region")
            }
            registries[address.description] = entry
        }
        return ConfigFile(registries: registries)
    }
}
