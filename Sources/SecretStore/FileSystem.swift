import Glibc

/// Whether `path` is a Unix socket (without following a final symbolic link).
func isSocket(_ path: String) -> Bool {
    var info = stat()
    return lstat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFSOCK
}
