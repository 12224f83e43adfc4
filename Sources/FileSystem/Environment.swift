import Glibc

/// The process environment, as the helper reads it once at start.
package enum ProcessEnvironment {
    /// Every variable of the process, from `environ` directly: ProcessInfo's copy costs a warm
    /// `get` ≈ 0.6 ms, most of it setting up Foundation's process information on first use. Of a
    /// variable set twice, the first, as `getenv` (and so libdbus and libcurl) reads it.
    package static func current() -> [String: String] {
        var count = 0
        while environ[count] != nil { count += 1 }
        var variables = [String: String](minimumCapacity: count)
        var entry = environ
        while let text = entry.pointee {
            // NAME=value; an entry without "=" is no variable.
            if let equals = strchr(text, Int32(UInt8(ascii: "="))) {
                let name = String(
                    decoding: UnsafeRawBufferPointer(start: text, count: equals - text), as: UTF8.self)
                if variables[name] == nil { variables[name] = String(cString: equals + 1) }
            }
            entry += 1
        }
        return variables
    }
}

/// The process environment as every part of the helper reads it.
extension [String: String] {
    /// The variable `name`, or `nil` when it is unset or set to the empty string: an empty value
    /// counts as unset everywhere, as shells and Alibaba Cloud's own tools treat them.
    package func variable(_ name: String) -> String? {
        guard let value = self[name], !value.isEmpty else { return nil }
        return value
    }
}

/// The XDG base folders (the Base Directory Specification), each `nil` where neither its variable
/// (an absolute path) nor `HOME` gives it.
package enum XDGFolders {
    /// `$XDG_CONFIG_HOME`, else `$HOME/.config`.
    package static func config(_ environment: [String: String]) -> String? {
        absolute(environment, "XDG_CONFIG_HOME") ?? absolute(environment, "HOME").map { $0 + "/.config" }
    }

    /// `$XDG_CACHE_HOME`, else `$HOME/.cache`.
    package static func cache(_ environment: [String: String]) -> String? {
        absolute(environment, "XDG_CACHE_HOME") ?? absolute(environment, "HOME").map { $0 + "/.cache" }
    }

    /// `$XDG_RUNTIME_DIR` (no fallback: it exists only for a login session).
    package static func runtime(_ environment: [String: String]) -> String? {
        absolute(environment, "XDG_RUNTIME_DIR")
    }

    /// A relative value is ignored, as the specification says.
    private static func absolute(_ environment: [String: String], _ name: String) -> String? {
        environment.variable(name).flatMap { $0.hasPrefix("/") ? $0 : nil }
    }
}
