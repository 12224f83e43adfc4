import FileSystem
import FoundationEssentials

/// Remembers which instance ID an Enterprise host's name stands for, so that a cold `get` makes
/// one API call instead of two (`ListInstance` then `GetAuthorizationToken`).
///
/// Not secret. Kept in `$XDG_CACHE_HOME/docker-credential-acr-helper/instances.json` (0600, in a
/// 0700 folder), replaced atomically. A file that cannot be used is ignored, never fatal.
package struct InstanceMemory: Sendable {
    /// The file, or `nil` when there is no cache folder to be had.
    package let path: String?

    /// - Parameter environment: for `XDG_CACHE_HOME` and `HOME`.
    package init(environment: [String: String]) {
        path = XDGFolders.cache(environment).map { $0 + "/docker-credential-acr-helper/instances.json" }
    }

    /// The remembered ID of the instance `name` in `region`.
    package func instanceID(named name: String, region: String) -> String? {
        load()[Self.key(name, region)]
    }

    /// Remembers (or, with `nil`, forgets) the ID of the instance `name` in `region`.
    package func remember(_ id: String?, named name: String, region: String) {
        guard let path else { return }
        var entries = load()
        entries[Self.key(name, region)] = id
        guard let data = try? JSONEncoder().encode(entries) else { return }
        let folder = String(path[..<(path.lastIndex(of: "/") ?? path.endIndex)])
        guard Files.makePrivateFolder(folder) else { return }
        // Not through a link: the file is the helper's own, in its own folder.
        try? Files.replace(path, with: Array(data), mode: 0o600, followingLinks: false)
    }

    private static func key(_ name: String, _ region: String) -> String { "\(region)/\(name)" }

    /// The entries, or none when the file is missing, not ours, not private, or not understood.
    private func load() -> [String: String] {
        guard let path, let bytes = try? Files.read(path, limit: 1 << 20, privateOnly: true) else { return [:] }
        return (try? JSONDecoder().decode([String: String].self, from: Data(bytes))) ?? [:]
    }
}
