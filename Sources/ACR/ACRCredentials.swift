import FoundationEssentials
import Logging
import SecretStore

/// The helper's credentials for Swift programs that talk to registries themselves: the same
/// sources, keyring, cache and errors as `docker-credential-acr-helper get`, in-process.
///
///     let credentials = try ACRCredentials.credentials(forRegistry: "registry.cn-hangzhou.aliyuncs.com")
///     print(credentials.login.username, credentials.token?.expiresAt ?? "static")
public enum ACRCredentials {
    /// The credentials for a registry host (or `https://host/…` URL).
    /// - Parameters:
    ///   - registry: the registry, as docker names it.
    ///   - environment: the variables to read settings and sources from (default: the process's).
    ///   - logger: where to log; never given a secret (default: nowhere).
    /// - Returns: the login, and for a minted password its expiry and refresh margin.
    /// - Throws: ``ACRError``: `.notFound` when nothing answers for the host, or what failed and
    ///   how to fix it.
    public static func credentials(
        forRegistry registry: String, environment: [String: String] = ProcessInfo.processInfo.environment,
        logger: Logger = .silent
    ) throws(ACRError) -> ResolvedCredentials {
        try helper(environment: environment, logger: logger).credentials(for: registry)
    }

    /// The credential helper the `docker-credential-acr-helper` binary runs, assembled from the
    /// environment: settings, the Secret Service, every source, the API over libcurl, the config
    /// file and the lock folder.
    /// - Parameter userAgent: what the helper calls itself to Alibaba Cloud.
    package static func helper(
        environment: [String: String], logger: Logger, userAgent: String = defaultUserAgent
    ) throws(ACRError) -> ACRCredentialHelper {
        let settings = try Settings(environment: environment)
        return helper(
            environment: environment, settings: settings,
            keyring: keyring(environment: environment, settings: settings, logger: logger), logger: logger,
            userAgent: userAgent)
    }

    /// The same, from settings already read and the keyring they name.
    package static func helper(
        environment: [String: String], settings: Settings, keyring: CredentialKeyring, logger: Logger,
        userAgent: String = defaultUserAgent, onPlaintextKey: PlaintextFileSource.Notice? = nil
    ) -> ACRCredentialHelper {
        let config: ConfigFile
        do {
            config = try ConfigFile.load(environment: environment)
        } catch {
            // A mistake in it must not break the hosts it does not name.
            logger.warning("ignoring the config file: \(error.message)")
            config = ConfigFile()
        }
        return ACRCredentialHelper(
            keyring: keyring,
            sources: CredentialSources.standard(
                environment: environment, logger: logger, onPlaintextKey: onPlaintextKey),
            tokenClient: tokenClient(
                environment: environment, settings: settings, logger: logger, userAgent: userAgent),
            config: config,
            locks: HostLocks(environment: environment), settings: settings, logger: logger)
    }

    /// This helper's items in the Secret Service the settings name.
    package static func keyring(environment: [String: String], settings: Settings, logger: Logger) -> CredentialKeyring
    {
        CredentialKeyring(
            store: SecretServiceStore(
                schema: KeyringSchema.secretSchema, collection: settings.collection, timeout: settings.keyringTimeout,
                unlockTimeout: settings.unlockTimeout, deadline: settings.processDeadline, environment: environment,
                logger: logger))
    }

    /// The ACR API client over libcurl.
    package static func tokenClient(
        environment: [String: String], settings: Settings, logger: Logger, userAgent: String = defaultUserAgent
    ) -> ACRTokenClient {
        ACRTokenClient(
            transport: CurlTransport(environment: environment, userAgent: userAgent), settings: settings,
            memory: InstanceMemory(environment: environment), logger: logger)
    }

    /// The `User-Agent` of programs using the library.
    package static let defaultUserAgent = "docker-credential-acr-helper-library"
}
