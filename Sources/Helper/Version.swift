internal import CVersion

/// The helper's version, as `version` and `--version` print it and the User-Agent carries it.
enum Version {
    /// From `git describe --tags` when built with make; `0.0.0-dev` from a plain `swift build`.
    static let current = String(cString: acr_build_version())

    /// What the helper calls itself to Alibaba Cloud.
    static let userAgent = "docker-credential-acr-helper/\(current)"
}
