import Glibc
import Logging
import SecretStore

/// The credential helper: ACR hosts get temporary passwords minted with the user's AccessKey,
/// every host gets the static login stored for it (docs/design.md#the-get-path).
package struct ACRCredentialHelper: CredentialHelper {
    private let keyring: CredentialKeyring
    private let sources: [any CredentialSource]
    private let passwords: RegistryPasswords
    private let config: ConfigFile
    private let locks: HostLocks?
    private let settings: Settings
    private let logger: Logger

    /// - Parameters:
    ///   - keyring: this helper's items in the Secret Service.
    ///   - sources: where credentials come from, in order (``CredentialSources/standard(environment:)``).
    ///   - tokenClient: what turns an AccessKey into a registry password.
    ///   - config: the hosts pinned in the config file.
    ///   - locks: the per-host locks, or `nil` where no lock folder could be had.
    ///   - settings: the settings read from the environment.
    ///   - logger: where to log; never given a secret.
    ///   - now: this machine's time in Unix seconds.
    package init(
        keyring: CredentialKeyring, sources: [any CredentialSource], tokenClient: any TokenMinting,
        config: ConfigFile, locks: HostLocks?, settings: Settings, logger: Logger,
        now: @escaping @Sendable () -> Int = { Int(time(nil)) }
    ) {
        self.keyring = keyring
        self.sources = sources
        self.passwords = RegistryPasswords(
            keyring: keyring, tokenClient: tokenClient, locks: locks, settings: settings, logger: logger, now: now)
        self.config = config
        self.locks = locks
        self.settings = settings
        self.logger = logger
    }

    /// The ACR registry `server` is, if any, given the config file and the instance variables.
    package func registry(for server: ServerAddress) throws(ACRError) -> ACRRegistry? {
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

    package func get(_ serverURL: String) throws(ACRError) -> RegistryLogin {
        try credentials(for: serverURL).login
    }

    /// What `get` answers, with how long it stays good: for the kubelet, and Swift programs that
    /// cache credentials themselves.
    /// - Throws: ``ACRError``; `.notFound` when nothing answers for the host.
    package func credentials(for serverURL: String) throws(ACRError) -> ResolvedCredentials {
        let server = try ServerAddress(parsing: serverURL)
        let registry = try self.registry(for: server)
        let request = CredentialRequest(server: server, registry: registry, keyring: keyring)
        var heldWhileReading = registry != nil ? passwords.tryLockForMinting(server) : nil
        var keyringFailure: ACRError? = nil
        for source in sources {
            let credential: Credential?
            do {
                // Once the keyring failed, what is stored can't be known: only sources outside it
                // may still answer, and only for ACR hosts.
                guard keyringFailure == nil || source.answersWhenKeyringFails else { continue }
                credential = try source.credential(for: request)
            } catch  where error.code == .keyring && source.usesKeyring {
                keyringFailure = error
                continue
            }
            guard let credential else { continue }
            switch credential {
            case .login(let login):
                logger.debug("answered with a stored registry login", metadata: ["server": "\(server)"])
                return ResolvedCredentials(login: login, token: nil)
            case .key(let material, _):
                // Sources give keys for ACR registries only.
                guard let registry else { continue }
                return try passwords.password(
                    for: registry, request: request, material: material, source: source,
                    heldWhileReading: heldWhileReading.take())
            }
        }
        if let keyringFailure { throw keyringFailure }
        logger.debug("nothing stored", metadata: ["server": "\(server)"])
        var notFound = ACRError.notFound()
        if registry != nil { notFound.advice = .storeKey(server: server.description, host: server.host) }
        throw notFound
    }

    /// An `LTAI…` username saves the AccessKey for the host (and drops the passwords cached for it);
    /// an ACR temporary login echoed back (as `docker login` does after a `get`: the temporary
    /// username, with any password, minted now or earlier) changes nothing, since it would outrank
    /// the key and stop working within hours; anything else is a static login.
    package func store(serverURL: String, login: RegistryLogin) throws(ACRError) {
        let server = try ServerAddress(parsing: serverURL)
        let held = try lock(server)
        if AccessKey.looksLikeID(login.username) {
            let key = AccessKey(id: login.username, secret: login.secret)
            try keyring.storeVerified(key, for: server)
            logger.info("stored an AccessKey", metadata: ["server": "\(server)", "key": "\(key.maskedID)"])
        } else if try isTemporaryLogin(login, server) {
            logger.info("store of an ACR temporary login: nothing to do", metadata: ["server": "\(server)"])
        } else {
            try keyring.save(login, for: server)
            logger.info("stored a registry login", metadata: ["server": "\(server)", "username": "\(login.username)"])
        }
        _ = consume held
    }

    @discardableResult
    package func erase(_ serverURL: String) throws(ACRError) -> Erased {
        let server = try ServerAddress(parsing: serverURL)
        let held = try lock(server)
        let (removed, kept) = try keyring.removeLoginAndTokens(for: server)
        _ = consume held
        logger.info("erased", metadata: ["server": "\(server)", "items": "\(removed)"])
        return Erased(removed: removed, keptKeyID: kept)
    }

    package func secretServiceProduct() -> SecretServiceProduct? {
        keyring.secretServiceProduct()
    }

    /// The username ACR gives every temporary password.
    static let temporaryUsername = "cr_temp_user"

    /// Whether `login` is a temporary login ACR minted for `server`: an ACR host, and the
    /// temporary username (the fixed one, or the one of the password cached for the host).
    private func isTemporaryLogin(_ login: RegistryLogin, _ server: ServerAddress) throws(ACRError) -> Bool {
        guard try registry(for: server) != nil else { return false }
        if login.username == Self.temporaryUsername { return true }
        let cached = try keyring.items(for: server, while: "store credentials for \(server)").token
        return cached?.username == login.username
    }

    package func list() throws(ACRError) -> [String: String] {
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
