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
