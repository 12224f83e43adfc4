import Glibc

/// Per-host locks shared by every process of this helper, so that a `store` and an `erase` of one
/// host (and later, token refreshes) never interleave.
///
/// The lock files live in a 0700 folder of the user's: `$XDG_RUNTIME_DIR/docker-credential-acr-helper`,
/// else `$XDG_CACHE_HOME/docker-credential-acr-helper` (`~/.cache/…`). They are opened without
/// following links. Locking is a courtesy between our own processes, never a requirement: where no
/// such folder can be had (a read-only home), callers go on without it.
public struct HostLocks: Sendable {
    /// The folder holding the lock files.
    public let directory: String

    /// Finds (and creates, 0700) the lock folder; `nil` when there is none to be had.
    /// - Parameter environment: the process environment (`XDG_RUNTIME_DIR`, `XDG_CACHE_HOME`, `HOME`).
    public init?(environment: [String: String]) {
        let app = "docker-credential-acr-helper"
        var candidates: [String] = []
        if let runtime = environment["XDG_RUNTIME_DIR"], runtime.hasPrefix("/") { candidates.append(runtime) }
        if let cache = environment["XDG_CACHE_HOME"], cache.hasPrefix("/") {
            candidates.append(cache)
        } else if let home = environment["HOME"], home.hasPrefix("/") {
            candidates.append(home + "/.cache")
        }
        for base in candidates {
            let directory = base + "/" + app
            if Self.makePrivateDirectory(base, createOnly: true),
                Self.makePrivateDirectory(directory, createOnly: false)
            {
                self.directory = directory
                return
            }
        }
        return nil
    }

    /// Takes the exclusive lock `purpose` for `server`, waiting at most `timeout`.
    /// - Throws: ``ACRError`` `.lock` when another process holds it longer.
    public func lock(_ purpose: String, for server: ServerAddress, timeout: Duration) throws(ACRError) -> HeldLock {
        let path = "\(directory)/\(purpose)-\(server).lock"
        let fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw ACRError(.lock, "cannot open the lock file \(path) for \(server): \(errnoText())")
        }
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let reason = errno
            guard reason == EWOULDBLOCK || reason == EINTR, clock.now < deadline else {
                close(fd)
                throw ACRError(
                    .lock,
                    "another docker-credential-acr-helper held the lock for \(server) longer than \(timeout) "
                        + "(\(path)): try again, or end the process that holds it")
            }
            usleep(5_000)
        }
        return HeldLock(fd: fd)
    }

    /// Creates `path` as a 0700 folder if missing; with `createOnly` false, also insists that it is a
    /// real folder (not a link) owned by us, and makes it 0700.
    private static func makePrivateDirectory(_ path: String, createOnly: Bool) -> Bool {
        if mkdir(path, 0o700) != 0 && errno != EEXIST { return false }
        var info = stat()
        guard lstat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR else { return false }
        if createOnly { return true }
        guard info.st_uid == getuid() else { return false }
        if info.st_mode & 0o077 != 0 && chmod(path, 0o700) != 0 { return false }
        return true
    }
}

/// A held lock; released when it goes away.
public struct HeldLock: ~Copyable {
    fileprivate let fd: Int32
    deinit { close(fd) }
}

func errnoText() -> String { String(cString: strerror(errno)) }
