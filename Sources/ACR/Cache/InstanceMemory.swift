import FoundationEssentials
import Glibc

/// Remembers which instance ID an Enterprise host's name stands for, so that a cold `get` makes
/// one API call instead of two (`ListInstance` then `GetAuthorizationToken`).
///
/// Not secret. Kept in `$XDG_CACHE_HOME/docker-credential-acr-helper/instances.json` (0600, in a
/// 0700 folder), replaced atomically. A file that cannot be used is ignored, never fatal.
public struct InstanceMemory: Sendable {
    /// The file, or `nil` when there is no cache folder to be had.
    public let path: String?

    /// - Parameter environment: for `XDG_CACHE_HOME` and `HOME`.
    public init(environment: [String: String]) {
        if let cache = environment["XDG_CACHE_HOME"], cache.hasPrefix("/") {
            path = cache + "/docker-credential-acr-helper/instances.json"
        } else if let home = environment["HOME"], home.hasPrefix("/") {
            path = home + "/.cache/docker-credential-acr-helper/instances.json"
        } else {
            path = nil
        }
    }

    /// The remembered ID of the instance `name` in `region`.
    public func instanceID(named name: String, region: String) -> String? {
        load()[Self.key(name, region)]
    }

    /// Remembers (or, with `nil`, forgets) the ID of the instance `name` in `region`.
    public func remember(_ id: String?, named name: String, region: String) {
        guard let path else { return }
        var entries = load()
        entries[Self.key(name, region)] = id
        guard let data = try? JSONEncoder().encode(entries) else { return }
        let folder = String(path[..<(path.lastIndex(of: "/") ?? path.endIndex)])
        guard makePrivateFolder(folder) else { return }
        let temporary = "\(path).\(getpid()).tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return }
        let written = data.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        close(fd)
        if written != data.count || rename(temporary, path) != 0 { unlink(temporary) }
    }

    private static func key(_ name: String, _ region: String) -> String { "\(region)/\(name)" }

    /// The entries, or none when the file is missing, not ours, not private, or not understood.
    private func load() -> [String: String] {
        guard let path else { return [:] }
        let fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { return [:] }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG, info.st_uid == getuid(),
            info.st_mode & 0o022 == 0, info.st_size < 1 << 20
        else { return [:] }
        var bytes = [UInt8](repeating: 0, count: Int(info.st_size))
        guard read(fd, &bytes, bytes.count) == bytes.count else { return [:] }
        return (try? JSONDecoder().decode([String: String].self, from: Data(bytes))) ?? [:]
    }
}

/// Creates `path` (and its parent) as 0700 folders if missing; insists it is a real folder of ours.
func makePrivateFolder(_ path: String) -> Bool {
    let parent = String(path[..<(path.lastIndex(of: "/") ?? path.startIndex)])
    if !parent.isEmpty && mkdir(parent, 0o700) != 0 && errno != EEXIST { return false }
    if mkdir(path, 0o700) != 0 && errno != EEXIST { return false }
    var info = stat()
    guard lstat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR, info.st_uid == getuid() else { return false }
    if info.st_mode & 0o077 != 0 && chmod(path, 0o700) != 0 { return false }
    return true
}
