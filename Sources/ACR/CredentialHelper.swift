import Logging

/// What a docker credential helper does, with docker's protocol already taken off: the engine in
/// the executable reads and writes the bytes, this answers.
public protocol CredentialHelper: Sendable {
    /// The credentials for a server URL as docker passes it.
    /// - Throws: ``ACRError``; `.notFound` when nothing answers for the host.
    func get(_ serverURL: String) throws(ACRError) -> RegistryLogin

    /// Stores credentials docker was given by `docker login`.
    func store(serverURL: String, login: RegistryLogin) throws(ACRError)

    /// Removes what is stored for the host; erasing what is not there succeeds.
    func erase(_ serverURL: String) throws(ACRError)

    /// Every host-scoped login and AccessKey: host → username or AccessKey ID.
    func list() throws(ACRError) -> [String: String]
}

/// Mints temporary registry passwords: ``ACRTokenClient`` against the real API.
public protocol TokenMinting: Sendable {
    func token(for registry: ACRRegistry, server: ServerAddress, key: AccessKey) throws(ACRError) -> RegistryToken
}

extension ACRTokenClient: TokenMinting {}

/// The credential helper: ACR hosts get temporary passwords minted with the user's AccessKey,
/// every host gets the static login stored for it (SPEC §2).
public struct ACRCredentialHelper: CredentialHelper {
    private let keyring: CredentialKeyring
    private let sources: [any CredentialSource]
    private let minter: any TokenMinting
    private let config: ConfigFile
    private let locks: HostLocks?
    private let settings: Settings
    private let logger: Logger

    /// - Parameters:
    ///   - keyring: this helper's items in the Secret Service.
    ///   - sources: where credentials come from, in order (``CredentialSources/standard(environment:)``).
    ///   - minter: what turns an AccessKey into a registry password.
    ///   - config: the hosts pinned in the config file.
    ///   - locks: the per-host locks, or `nil` where no lock folder could be had.
    ///   - settings: the settings read from the environment.
    ///   - logger: where to log; never given a secret.
    public init(
        keyring: CredentialKeyring, sources: [any CredentialSource], minter: any TokenMinting, config: ConfigFile,
        locks: HostLocks?, settings: Settings, logger: Logger
    ) {
        self.keyring = keyring
        self.sources = sources
        self.minter = minter
        self.config = config
        self.locks = locks
        self.settings = settings
        self.logger = logger
    }

    /// The ACR registry `server` is, if any, given the config file and the instance variables.
    public func registry(for server: ServerAddress) throws(ACRError) -> ACRRegistry? {
        guard let instanceID = settings.instanceID else {
            return RegistryHosts.registry(for: server, configured: config.registries)
        }
        guard let region = settings.region ?? RegistryHosts.registry(for: server)?.region else {
            throw ACRError(
                .invalidSetting,
                "\(Settings.prefix)INSTANCE_ID is set but \(server.host) names no region: set "
                    + "\(Settings.prefix)REGION too")
        }
        return RegistryHosts.registry(for: server, pinned: ConfiguredRegistry(instanceID: instanceID, region: region))
    }

    public func get(_ serverURL: String) throws(ACRError) -> RegistryLogin {
        let server = try ServerAddress(parsing: serverURL)
        let registry = try self.registry(for: server)
        let request = CredentialRequest(server: server, registry: registry, keyring: keyring)
        for source in sources {
            guard let credential = try source.credential(for: request) else { continue }
            switch credential {
            case .login(let login):
                logger.debug("answered with a stored registry login", metadata: ["server": "\(server)"])
                return login
            case .accessKey(let key, let origin):
                // Sources give keys for ACR registries only.
                guard let registry else { continue }
                logger.debug(
                    "minting a registry password",
                    metadata: [
                        "server": "\(server)", "source": "\(origin)", "key": "\(key.maskedID)",
                        "registry": "\(registry)",
                    ])
                let token = try minter.token(for: registry, server: server, key: key)
                return RegistryLogin(username: token.username, secret: token.password)
            }
        }
        logger.debug("nothing stored", metadata: ["server": "\(server)"])
        guard registry != nil else { throw ACRError.notFound() }
        throw ACRError.notFound(
            hint: """
                hint: \(server) is an ACR registry, but no AccessKey is stored for it. Store one in the keyring:
                hint:   docker-credential-acr-helper add-key --server \(server.host)    (or, for every ACR registry: add-key)
                hint:   docker-credential-acr-helper import-keys    (from ~/.alibabacloud/credentials or ~/.aliyun/config.json)
                """)
    }

    /// An `LTAI…` username saves the AccessKey for the host; anything else is a static login.
    public func store(serverURL: String, login: RegistryLogin) throws(ACRError) {
        let server = try ServerAddress(parsing: serverURL)
        let held = try lock(server)
        if AccessKey.looksLikeID(login.username) {
            let key = AccessKey(id: login.username, secret: login.secret)
            try keyring.save(key, for: server)
            logger.info("stored an AccessKey", metadata: ["server": "\(server)", "key": "\(key.maskedID)"])
        } else {
            try keyring.save(login, for: server)
            logger.info("stored a registry login", metadata: ["server": "\(server)", "username": "\(login.username)"])
        }
        _ = consume held
    }

    public func erase(_ serverURL: String) throws(ACRError) {
        let server = try ServerAddress(parsing: serverURL)
        let held = try lock(server)
        let removed = try keyring.removeEverything(for: server)
        _ = consume held
        logger.info("erased", metadata: ["server": "\(server)", "items": "\(removed)"])
    }

    public func list() throws(ACRError) -> [String: String] {
        try keyring.hostScopedUsernames()
    }

    /// The host's store/erase lock, waited for as long as one keyring call may take.
    private func lock(_ server: ServerAddress) throws(ACRError) -> HeldLock? {
        guard let locks else {
            logger.info("no lock folder: store and erase are not serialised", metadata: ["server": "\(server)"])
            return nil
        }
        return try locks.lock("keyring", for: server, timeout: settings.keyringTimeout)
    }
}
