import FileSystem
import Glibc

/// The user's files (credentials files, docker's config, the config file, an OIDC token) as the
/// helper reads and rewrites them: `FileSystem`'s ``Files``, with a failure as an unusable
/// setting.
package enum UserFiles {
    /// The file's bytes, or `nil` when it does not exist.
    /// - Throws: ``ACRError`` `.invalidSetting` when it exists but cannot be read or is too large.
    package static func read(_ path: String, limit: Int = 1 << 20) throws(ACRError) -> [UInt8]? {
        do {
            return try Files.read(path, limit: limit)
        } catch  where error.kind == .tooLarge {
            throw ACRError(.invalidSetting, "\(path) is larger than \(limit) bytes")
        } catch {
            throw ACRError(.invalidSetting, "cannot read \(error)")
        }
    }

    /// Replaces the file atomically (``Files/replace(_:with:mode:)``).
    /// - Throws: ``ACRError`` `.invalidSetting`; the old file is then untouched.
    package static func replace(_ path: String, with bytes: [UInt8], mode: mode_t? = nil) throws(ACRError) {
        do {
            try Files.replace(path, with: bytes, mode: mode)
        } catch {
            throw ACRError(.invalidSetting, "cannot write \(error)")
        }
    }
}
