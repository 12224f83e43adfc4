/// The helper's version, as `version` and `--version` print it.
enum Version {
    /// Until releases are cut from tags, every build is a development build.
    static let current = "0.0.0-dev"

    /// What the helper calls itself to Alibaba Cloud.
    static let userAgent = "docker-credential-acr-helper/\(current)"
}
