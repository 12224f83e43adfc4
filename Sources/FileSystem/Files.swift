import Glibc

/// A file operation that failed: which file, and the system's reason.
package struct FileError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What went wrong, for the messages that name it.
    package enum Kind: Sendable, Equatable {
        /// A system call failed (`reason` is its `strerror`).
        case system
        /// The file is larger than the limit it was read with.
        case tooLarge
        /// Nothing came within the time allowed.
        case timedOut
        /// The file is not a private, regular file of this user's (it was asked to be).
        case notPrivate
    }

    package let kind: Kind
    /// The file, or a description of the descriptor (`standard input`).
    package let path: String
    package let reason: String

    package init(_ kind: Kind, path: String, reason: String) {
        self.kind = kind
        self.path = path
        self.reason = reason
    }

    package var description: String { "\(path): \(reason)" }

    static func system(_ path: String) -> FileError { FileError(.system, path: path, reason: errnoText()) }
}

/// The helper's file reading and writing, one implementation of each: whole files read with a
/// limit, files replaced atomically, private folders, and descriptors written in full. Beside it,
/// only the lock files (`flock` on a file kept open), the terminal prompt (a line read a byte at
/// a time, echo off) and the Secret Service's process name in `/proc` open files of their own.
package enum Files {
    /// The bytes of the file at `path`, or `nil` when it does not exist.
    /// - Parameters:
    ///   - limit: the most bytes it may hold.
    ///   - privateOnly: the file must be a regular file of this user's that no one else may write,
    ///     not reached through a final symbolic link (for files the helper writes itself).
    /// - Throws: ``FileError`` when it exists but cannot be read, is too large, or is not private.
    package static func read(_ path: String, limit: Int = 1 << 20, privateOnly: Bool = false) throws(FileError)
        -> [UInt8]?
    {
        let fd = open(path, O_RDONLY | O_CLOEXEC | (privateOnly ? O_NOFOLLOW : 0))
        guard fd >= 0 else {
            if errno == ENOENT || errno == ENOTDIR { return nil }
            throw FileError.system(path)
        }
        defer { close(fd) }
        if privateOnly {
            var info = stat()
            guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG, info.st_uid == getuid(),
                info.st_mode & 0o022 == 0
            else { throw FileError(.notPrivate, path: path, reason: "not a private file of this user's") }
        }
        return try readAll(fd, limit: limit, name: path)
    }

    /// Everything `fd` gives until its end, at most `limit` bytes.
    /// - Parameters:
    ///   - name: the descriptor as errors name it.
    ///   - deadline: when to give up waiting for more (`poll`), if ever.
    /// - Throws: ``FileError``: `.tooLarge` past `limit`, `.timedOut` past `deadline`.
    package static func readAll(
        _ fd: Int32, limit: Int, name: String, deadline: ContinuousClock.Instant? = nil
    ) throws(FileError) -> [UInt8] {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            if let deadline {
                let remaining = ContinuousClock.now.duration(to: deadline)
                var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                let ready = poll(&poller, 1, Int32(max(0, (remaining / .milliseconds(1)).rounded(.up))))
                if ready < 0 && errno == EINTR { continue }
                guard ready > 0 else { throw FileError(.timedOut, path: name, reason: "nothing more came in time") }
            }
            let count = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count >= 0 else { throw FileError.system(name) }
            if count == 0 { return bytes }
            bytes += chunk[..<count]
            guard bytes.count <= limit else {
                throw FileError(.tooLarge, path: name, reason: "larger than \(limit) bytes")
            }
        }
    }

    /// Writes all of `bytes` to `fd`, however many `write`s that takes.
    package static func writeAll(_ bytes: some Collection<UInt8>, to fd: Int32, name: String) throws(FileError) {
        var failure: FileError? = nil
        Array(bytes).withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 && errno == EINTR { continue }
                guard written > 0 else {
                    failure = FileError.system(name)
                    return
                }
                offset += written
            }
        }
        if let failure { throw failure }
    }

    /// Replaces the file at `path` with `bytes`: written to a temporary file beside it, flushed to
    /// disk, then renamed over it, so that an interrupted write leaves the old file whole. It keeps
    /// its owner, and its mode unless `mode` is given; a new file gets `mode`, else 0600.
    /// - Parameter followingLinks: replace the file a link at `path` points to (a user's file that
    ///   may be a link into their dotfiles); `false` replaces a link itself (a file of the helper's
    ///   own, which no link may send elsewhere).
    /// - Throws: ``FileError``; the old file is then untouched.
    package static func replace(_ path: String, with bytes: [UInt8], mode: mode_t? = nil, followingLinks: Bool = true)
        throws(FileError)
    {
        let target = followingLinks ? resolve(path) : path
        let folder = target.lastIndex(of: "/").map { String(target[..<$0]) } ?? "."
        var info = stat()
        let exists = (followingLinks ? stat(target, &info) : lstat(target, &info)) == 0
        let finalMode = mode ?? (exists ? info.st_mode & 0o7777 : 0o600)
        let temporary = "\(folder)/.\(target.split(separator: "/").last ?? "file").\(getpid()).tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, finalMode)
        guard fd >= 0 else { throw FileError(.system, path: target, reason: "cannot write beside it: \(errnoText())") }
        var failure: FileError? = nil
        do throws(FileError) {
            try writeAll(bytes, to: fd, name: target)
            // The mode exactly (umask may have narrowed it) and, where allowed, the owner.
            if fchmod(fd, finalMode) != 0 { throw FileError.system(target) }
            if exists && (info.st_uid != getuid() || info.st_gid != getgid())
                && fchown(fd, info.st_uid, info.st_gid) != 0
            {
                throw FileError(.system, path: target, reason: "cannot keep its owner: \(errnoText())")
            }
            if fsync(fd) != 0 { throw FileError.system(target) }
        } catch {
            failure = error
        }
        close(fd)
        if failure == nil && rename(temporary, target) != 0 { failure = FileError.system(target) }
        if let failure {
            unlink(temporary)
            throw failure
        }
    }

    /// `path` with every symbolic link resolved, or `path` itself when it does not exist yet.
    package static func resolve(_ path: String) -> String {
        guard let resolved = realpath(path, nil) else { return path }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// Creates `path` (and its parent) as 0700 folders if missing, and insists that it is a real
    /// folder of this user's, closed to others.
    /// - Returns: whether it is.
    package static func makePrivateFolder(_ path: String) -> Bool {
        let parent = String(path[..<(path.lastIndex(of: "/") ?? path.startIndex)])
        if !parent.isEmpty && mkdir(parent, 0o700) != 0 && errno != EEXIST { return false }
        if mkdir(path, 0o700) != 0 && errno != EEXIST { return false }
        var info = stat()
        guard lstat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR, info.st_uid == getuid() else {
            return false
        }
        if info.st_mode & 0o077 != 0 && chmod(path, 0o700) != 0 { return false }
        return true
    }

    /// Whether `path` is a Unix socket (a final symbolic link not followed).
    package static func isSocket(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFSOCK
    }
}

/// `strerror` of the current `errno`.
package func errnoText() -> String { String(cString: strerror(errno)) }
