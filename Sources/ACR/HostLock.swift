import FileSystem
import Glibc

/// Per-host locks shared by every process of this helper, so that a `store` and an `erase` of one
/// host never interleave (lock `keyring`), and one process at a time mints the host's password
/// (lock `token`).
///
/// The lock files live in a 0700 folder of the user's: `$XDG_RUNTIME_DIR/docker-credential-acr-helper`,
/// else `$XDG_CACHE_HOME/docker-credential-acr-helper` (`~/.cache/…`). They are opened without
/// following links. Locking is a courtesy between our own processes, never a requirement: where no
/// such folder can be had (a read-only home), callers go on without it.
package struct HostLocks: Sendable {
    /// The folder holding the lock files.
    package let directory: String

    /// Finds (and creates, 0700) the lock folder; `nil` when there is none to be had.
    /// - Parameter environment: the process environment (`XDG_RUNTIME_DIR`, `XDG_CACHE_HOME`, `HOME`).
    package init?(environment: [String: String]) {
        let app = "docker-credential-acr-helper"
        for base in [XDGFolders.runtime(environment), XDGFolders.cache(environment)].compactMap({ $0 }) {
            let directory = base + "/" + app
            if Files.makePrivateFolder(directory) {
                self.directory = directory
                return
            }
        }
        return nil
    }

    /// Takes the exclusive lock `purpose` for `server`, waiting at most `timeout`.
    /// - Throws: ``ACRError`` `.lock` when another process holds it longer.
    package func lock(_ purpose: String, for server: ServerAddress, timeout: Duration) throws(ACRError) -> HeldLock {
        let (path, fd) = try openLockFile(purpose, for: server)
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let reason = errno
            guard reason == EWOULDBLOCK || reason == EINTR, clock.now < deadline else {
                close(fd)
                throw ACRError(
                    .lock,
                    "another process of this helper held the lock for \(server) longer than \(timeout) "
                        + "(\(path)): try again, or end the process that holds it")
            }
            usleep(5_000)
        }
        return HeldLock(fd: fd)
    }

    /// Takes the exclusive lock `purpose` for `server` if no other process holds it, without waiting.
    /// - Returns: the lock, or `nil` when another process holds it.
    package func tryLock(_ purpose: String, for server: ServerAddress) throws(ACRError) -> HeldLock? {
        let (_, fd) = try openLockFile(purpose, for: server)
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            close(fd)
            return nil
        }
        return HeldLock(fd: fd)
    }

    private func openLockFile(_ purpose: String, for server: ServerAddress) throws(ACRError) -> (String, Int32) {
        let path = "\(directory)/\(purpose)-\(server).lock"
        let fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw ACRError(.lock, "cannot open the lock file \(path) for \(server): \(errnoText())")
        }
        return (path, fd)
    }
}

/// A held lock; released when it goes away.
package struct HeldLock: ~Copyable {
    fileprivate let fd: Int32
    deinit { close(fd) }
}
