import FileSystem
import Logging

/// The helper's settings from `DOCKER_CREDENTIAL_ACR_HELPER_*` variables (docs/design.md#settings), read once at
/// start and passed down; nothing below reads the environment itself.
package struct Settings: Sendable, Equatable {
    /// The Secret Service collection: an alias or a label (`…_COLLECTION`, default `default`).
    package var collection = "default"
    /// How much to log to stderr (`…_LOG_LEVEL`: `error`, `warning` (default), `info`, `debug`).
    package var logLevel = Logger.Level.warning
    /// The bound on each API request (`…_TIMEOUT`, seconds, default 10).
    package var timeout = Duration.seconds(10)
    /// The bound on a whole `get` (`…_DEADLINE`, seconds, default 30).
    package var deadline = Duration.seconds(30)
    /// When a process that answers one request (the helper) must be done: set from its start, so
    /// that stdin, STS, the metadata service, the credentials URI and every API try share one
    /// deadline. `nil` (a program using the library): each mint has `deadline` of its own.
    package var processDeadline: ContinuousClock.Instant? = nil
    /// The instance every host is minted for (`…_INSTANCE_ID`), as the Go helper's per-domain wrappers use.
    package var instanceID: String?
    /// The region of that instance (`…_REGION`); may be left out for a system domain.
    package var region: String?
    /// The ACR API base URL instead of `https://cr[-vpc].{region}.aliyuncs.com` (`…_CR_ENDPOINT`).
    package var crEndpoint: APIEndpoint?
    /// The life of Enterprise tokens in hours, 1–24 (`…_TOKEN_HOURS`, sent as `ExpiresInHours`).
    package var tokenHours: Int?
    /// The STS endpoint instead of `https://sts.aliyuncs.com` (`…_STS_ENDPOINT`).
    package var stsEndpoint: APIEndpoint?
    /// `ALIBABA_CLOUD_STS_REGION`: use `sts.{region}.aliyuncs.com`.
    package var stsRegion: String?
    /// `ALIBABA_CLOUD_VPC_ENDPOINT_ENABLED=true`: use `sts-vpc.{region}.aliyuncs.com`.
    package var stsVPC = false
    /// The ECS instance metadata service (`…_ECS_METADATA_ENDPOINT`, default `http://100.100.100.200`).
    package var ecsMetadataEndpoint = "http://100.100.100.200"
    /// `ALIBABA_CLOUD_IMDSV1_DISABLED=true`: require the metadata service's IMDSv2 token.
    package var requireIMDSv2 = false
    /// Bypass the token cache, reading and writing (`…_NO_CACHE`, any non-empty value but `0`).
    package var noCache = false
    /// How long an unlock prompt may wait for the user in a graphical session (`…_UNLOCK_TIMEOUT`,
    /// seconds, default 60; 0 never to prompt).
    package var unlockTimeout: Duration? = .seconds(60)
    /// The bound on each keyring call. Not a setting: a Secret Service that is up answers in
    /// milliseconds, and one that is not must never hang docker for long.
    package var keyringTimeout = Duration.seconds(5)

    private static let logLevels: [String: Logger.Level] = [
        "error": .error, "warning": .warning, "info": .info, "debug": .debug,
    ]

    /// The variable prefix.
    package static let prefix = "DOCKER_CREDENTIAL_ACR_HELPER_"

    /// Defaults.
    package init() {}

    /// Reads the settings from `environment`.
    /// - Throws: ``ACRError`` `.invalidSetting` naming the variable and what it takes.
    package init(environment: [String: String]) throws(ACRError) {
        func value(_ name: String) -> String? {
            guard let text = environment.variable(Self.prefix + name) else { return nil }
            return text
        }
        func seconds(_ name: String, in range: ClosedRange<Int>) throws(ACRError) -> Duration? {
            guard let text = value(name) else { return nil }
            guard let number = Int(text), range.contains(number) else {
                throw ACRError(
                    .invalidSetting,
                    "\(Self.prefix)\(name) must be a whole number of seconds from \(range.lowerBound) to "
                        + "\(range.upperBound)")
            }
            return .seconds(number)
        }
        if let collection = value("COLLECTION") { self.collection = collection }
        if let level = value("LOG_LEVEL") {
            guard let parsed = Self.logLevels[level.lowercased()] else {
                throw ACRError(
                    .invalidSetting, "\(Self.prefix)LOG_LEVEL must be one of error, warning, info, debug")
            }
            logLevel = parsed
        }
        instanceID = value("INSTANCE_ID")
        region = value("REGION")
        if let region, !RegistryHosts.isRegion(region) {
            throw ACRError(.invalidSetting, "\(Self.prefix)REGION must be a region ID such as cn-hangzhou")
        }
        if let url = value("CR_ENDPOINT") {
            crEndpoint = try APIEndpoint(overriding: url, variable: Self.prefix + "CR_ENDPOINT")
        }
        if let hours = value("TOKEN_HOURS") {
            guard let number = Int(hours), (1...24).contains(number) else {
                throw ACRError(
                    .invalidSetting, "\(Self.prefix)TOKEN_HOURS must be a whole number of hours from 1 to 24")
            }
            tokenHours = number
        }
        if let url = value("STS_ENDPOINT") {
            stsEndpoint = try APIEndpoint(overriding: url, variable: Self.prefix + "STS_ENDPOINT")
        }
        if let url = value("ECS_METADATA_ENDPOINT") {
            ecsMetadataEndpoint = try Self.metadataEndpoint(url)
        }
        if let region = environment.variable("ALIBABA_CLOUD_STS_REGION") {
            // It becomes part of a host name: sts.{region}.aliyuncs.com.
            guard RegistryHosts.isRegion(region) else {
                throw ACRError(.invalidSetting, "ALIBABA_CLOUD_STS_REGION must be a region ID such as cn-hangzhou")
            }
            stsRegion = region
        }
        stsVPC = environment["ALIBABA_CLOUD_VPC_ENDPOINT_ENABLED"]?.lowercased() == "true"
        requireIMDSv2 = environment["ALIBABA_CLOUD_IMDSV1_DISABLED"]?.lowercased() == "true"
        if let unlock = try seconds("UNLOCK_TIMEOUT", in: 0...3600) { unlockTimeout = unlock == .zero ? nil : unlock }
        if let flag = value("NO_CACHE") { noCache = !["0", "false", "no"].contains(flag.lowercased()) }
        if let timeout = try seconds("TIMEOUT", in: 1...300) { self.timeout = timeout }
        if let deadline = try seconds("DEADLINE", in: 1...600) { self.deadline = deadline }
    }

    /// The ECS metadata service, where the instance role's credentials come from: its own link-local
    /// address, or this machine (a test's stand-in). Plain http is how it is reached, so it must
    /// never be a host that could be elsewhere.
    static func metadataEndpoint(_ url: String) throws(ACRError) -> String {
        let invalid = ACRError(
            .invalidSetting,
            "\(prefix)ECS_METADATA_ENDPOINT must be http://100.100.100.200 or a loopback address "
                + "(127.0.0.1, [::1], localhost), with an optional port")
        guard url.hasPrefix("http://") else { throw invalid }
        let authority = url.dropFirst("http://".count)
        guard !authority.contains("/"), let address = try? ServerAddress(parsing: String(authority)),
            address.host == "100.100.100.200" || APIEndpoint.isLoopback(address.host)
        else { throw invalid }
        return "http://\(address)"
    }
}
