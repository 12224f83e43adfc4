import Glibc

/// Reading and atomically rewriting a user's file: the new text goes to a temporary file beside the
/// real one (links followed), which is then renamed over it, keeping its owner and mode; so an
/// interrupted write leaves the old file whole, never half of each.
public enum AtomicFile {
    /// The file's bytes, or `nil` when it does not exist.
    /// - Throws: ``ACRError`` `.invalidSetting` when it exists but cannot be read.
    public static func read(_ path: String, limit: Int = 1 << 20) throws(ACRError) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            if errno == ENOENT || errno == ENOTDIR { return nil }
            throw ACRError(.invalidSetting, "cannot read \(path): \(errnoText())")
        }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16384)
        while true {
            let count = Glibc.read(fd, &chunk, chunk.count)
            if count < 0 && errno == EINTR { continue }
            guard count >= 0 else { throw ACRError(.invalidSetting, "cannot read \(path): \(errnoText())") }
            if count == 0 { return bytes }
            bytes += chunk[..<count]
            guard bytes.count <= limit else { throw ACRError(.invalidSetting, "\(path) is larger than \(limit) bytes") }
        }
    }

    /// Replaces the file at `path` (the file a link there points to) with `bytes`. It keeps its
    /// owner, and its mode unless `mode` is given; a new file gets `mode`, else 0600.
    /// - Throws: ``ACRError`` `.invalidSetting`; the old file is then untouched.
    public static func replace(_ path: String, with bytes: [UInt8], mode: mode_t? = nil) throws(ACRError) {
        let target = resolve(path)
        let folder = target.lastIndex(of: "/").map { String(target[..<$0]) } ?? "."
        var info = stat()
        let exists = stat(target, &info) == 0
        let finalMode = mode ?? (exists ? info.st_mode & 0o7777 : 0o600)
        let temporary = "\(folder)/.\(target.split(separator: "/").last ?? "file").\(getpid()).tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, finalMode)
        guard fd >= 0 else { throw ACRError(.invalidSetting, "cannot write beside \(target): \(errnoText())") }
        var failure: String? = nil
        bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 && errno == EINTR { continue }
                guard written > 0 else {
                    failure = errnoText()
                    return
                }
                offset += written
            }
        }
        // The mode exactly (umask may have narrowed it) and, where allowed, the owner.
        if failure == nil, fchmod(fd, finalMode) != 0 { failure = errnoText() }
        if failure == nil, exists {
            if info.st_uid != getuid() || info.st_gid != getgid(),
                fchown(fd, info.st_uid, info.st_gid) != 0
            {
                failure = "cannot keep its owner: \(errnoText())"
            }
        }
        if failure == nil, fsync(fd) != 0 { failure = errnoText() }
        close(fd)
        if failure == nil, rename(temporary, target) != 0 { failure = errnoText() }
        if let failure {
            unlink(temporary)
            throw ACRError(.invalidSetting, "cannot write \(target): \(failure)")
        }
    }

    /// `path` with every symbolic link resolved, or `path` itself when it does not exist yet.
    public static func resolve(_ path: String) -> String {
        guard let resolved = realpath(path, nil) else { return path }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}
