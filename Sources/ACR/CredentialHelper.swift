import Glibc
import Logging
import SecretStore

/// What a docker credential helper does, with docker's protocol already taken off: the engine in
/// the executable reads and writes the bytes, this answers.
public protocol CredentialHelper: Sendable {
    /// The credentials for a server URL as docker passes it.
    /// - Throws: ``ACRError``; `.notFound` when nothing answers for the host.
    func get(_ serverURL: String) throws(ACRError) -> RegistryLogin

    /// Stores credentials docker was given by `docker login`.
    func store(serverURL: String, login: RegistryLogin) throws(ACRError)

    /// Removes the static login and cached passwords stored for the host, never an AccessKey;
    /// erasing what is not there succeeds.
    @discardableResult
    func erase(_ serverURL: String) throws(ACRError) -> Erased

    /// Every host-scoped login and AccessKey: host → username or AccessKey ID.
    func list() throws(ACRError) -> [String: String]

    /// The program answering as the Secret Service, where it can be told: what it does with
    /// deleted items differs.
    func secretServiceProduct() -> SecretServiceProduct?
}

/// What an `erase` did.
public struct Erased: Sendable, Equatable {
    /// How many items were removed.
    public var removed: Int
    /// The ID of the AccessKey stored for the host, which stays.
    public var keptKeyID: String?

    public init(removed: Int, keptKeyID: String? = nil) {
        self.removed = removed
        self.keptKeyID = keptKeyID
    }
}

extension CredentialHelper {
    /// No Secret Service to tell.
    public func secretServiceProduct() -> SecretServiceProduct? { nil }
}

/// What `get` answers, and for a minted password, when it expires.
public struct ResolvedCredentials: Sendable, Equatable {
    public let login: RegistryLogin
    /// The temporary password's record (expiry and refresh margin, on this machine's clock);
    /// `nil` for a static login, which does not expire.
    public let token: CachedToken?

    init(login: RegistryLogin, token: CachedToken?) {
        self.login = login
        self.token = token
    }

    init(_ token: CachedToken) {
        self.init(login: RegistryLogin(username: token.username, secret: token.password), token: token)
    }
}

/// Mints temporary registry passwords: ``ACRTokenClient`` against the real API.
public protocol TokenMinting: Sendable {
    func token(for registry: ACRRegistry, server: ServerAddress, material: KeyMaterial) throws(ACRError)
        -> RegistryToken
    /// The API endpoints a token for `registry` may come from now: a cached token minted through
    /// another one is not used.
    func endpoints(for registry: ACRRegistry) -> [APIEndpoint]
    /// Says a ``token(for:server:material:)`` is likely soon: get ready meanwhile. Returns at once.
    func prepare()
    /// Returns once what ``prepare()`` started has ended.
    func finishPreparing()
}

extension ACRTokenClient: TokenMinting {}

extension TokenMinting {
    /// Nothing to get ready.
    public func prepare() {}
    public func finishPreparing() {}
}

/// The credential helper: ACR hosts get temporary passwords minted with the user's AccessKey,
/// every host gets the static login stored for it (docs/design.md#the-get-path).
public struct ACRCredentialHelper: CredentialHelper {
    private let keyring: CredentialKeyring
    private let sources: [any CredentialSource]
    private let minter: any TokenMinting
    private let config: ConfigFile
    private let locks: HostLocks?
    private let settings: Settings
    private let logger: Logger
    private let now: @Sendable () -> Int

    /// - Parameters:
    ///   - keyring: this helper's items in the Secret Service.
    ///   - sources: where credentials come from, in order (``CredentialSources/standard(environment:)``).
    ///   - minter: what turns an AccessKey into a registry password.
    ///   - config: the hosts pinned in the config file.
    ///   - locks: the per-host locks, or `nil` where no lock folder could be had.
    ///   - settings: the settings read from the environment.
    ///   - logger: where to log; never given a secret.
    ///   - now: this machine's time in Unix seconds.
    public init(
        keyring: CredentialKeyring, sources: [any CredentialSource], minter: any TokenMinting, config: ConfigFile,
        locks: HostLocks?, settings: Settings, logger: Logger, now: @escaping @Sendable () -> Int = { Int(time(nil)) }
    ) {
        self.now = now
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
        try credentials(for: serverURL).login
    }

    /// What `get` answers, with how long it stays good: for the kubelet, and Swift programs that
    /// cache credentials themselves.
    /// - Throws: ``ACRError``; `.notFound` when nothing answers for the host.
    public func credentials(for serverURL: String) throws(ACRError) -> ResolvedCredentials {
        let server = try ServerAddress(parsing: serverURL)
        let registry = try self.registry(for: server)
        let request = CredentialRequest(server: server, registry: registry, keyring: keyring)
        // The minting lock, when no other process holds it, is taken before anything is read: what
        // is read under it is what a mint would need to know, with nothing to read again.
        var heldWhileReading = registry != nil && !settings.noCache ? tryLockForMinting(server) : nil
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
                return try password(
                    for: registry, request: request, material: material, source: source,
                    heldWhileReading: heldWhileReading.take())
            }
        }
        if let keyringFailure { throw keyringFailure }
        logger.debug("nothing stored", metadata: ["server": "\(server)"])
        guard registry != nil else { throw ACRError.notFound() }
        throw ACRError.notFound(
            hint: """
                hint: \(server) is an ACR registry, but no AccessKey is stored for it. Store one in the keyring:
                hint:   docker-credential-acr-helper add-key --server \(server.host)    (or, for every ACR registry: add-key)
                hint:   docker-credential-acr-helper import-keys    (from ~/.alibabacloud/credentials or ~/.aliyun/config.json)
                """)
    }

    /// A temporary password minted with `key`: the cached one while it is good, else a new one,
    /// minted by one process at a time per host (docs/design.md#the-password-cache).
    /// - Parameter heldWhileReading: the host's minting lock, if it was taken before the keyring
    ///   was read.
    private func password(
        for registry: ACRRegistry, request: CredentialRequest, material: KeyMaterial, source: any CredentialSource,
        heldWhileReading: consuming HeldLock?
    ) throws(ACRError) -> ResolvedCredentials {
        let server = request.server
        let endpoints = minter.endpoints(for: registry).map(\.baseURL)
        var metadata: Logger.Metadata = ["server": "\(server)", "source": "\(source.name)", "key": "\(material.shown)"]
        if settings.noCache {
            logger.debug("minting without the cache (NO_CACHE)", metadata: metadata)
            return try mint(registry, server, material, cache: false, fallback: nil)
        }
        let cached: CachedToken?
        do {
            cached = try request.itemsForHost().token
        } catch  where !source.usesKeyring {
            // The key does not need the keyring; the cache does. Mint without it.
            logger.info("keyring unreadable, minting without the cache: \(error.message)", metadata: metadata)
            return try mint(registry, server, material, cache: false, fallback: nil)
        }
        if let cached, cached.isReusable(now: now(), mintedBy: material.minter, endpoints: endpoints) {
            logger.debug("answered with the cached password", metadata: metadata)
            return ResolvedCredentials(cached)
        }

        // Single flight: whoever holds the host's lock mints; the others find its token after.
        let held: HeldLock?
        let current: CachedToken?
        if heldWhileReading != nil {
            // Read under the lock already: no other process can have minted since.
            held = heldWhileReading.take()
            current = cached
        } else {
            held = lockForMinting(server)
            current = try request.itemsForHost(fresh: true).token
            if let current, current.isReusable(now: now(), mintedBy: material.minter, endpoints: endpoints) {
                logger.debug("answered with the password another process just minted", metadata: metadata)
                return ResolvedCredentials(current)
            }
        }
        prepareToMint()
        // Whatever happens, no preparing thread outlives the get: a process exiting while one
        // is still in libgcrypt or the dynamic loader can crash (seen: SIGSEGV after a fast
        // failure). After a mint and its cache write there is nothing left to wait for.
        defer { finishPreparing() }
        metadata["registry"] = "\(registry)"
        logger.debug("minting a registry password", metadata: metadata)
        let answer = try mint(registry, server, material, cache: true, fallback: current ?? cached)
        _ = consume held
        return answer
    }

    /// Mints, caches (when asked) and answers a password; when minting fails and `fallback`, minted
    /// by the same key, still works, answers that with a warning.
    private func mint(
        _ registry: ACRRegistry, _ server: ServerAddress, _ material: KeyMaterial, cache: Bool, fallback: CachedToken?
    ) throws(ACRError) -> ResolvedCredentials {
        let minted: RegistryToken
        do {
            minted = try minter.token(for: registry, server: server, material: material)
        } catch {
            guard let fallback, fallback.mintedBy == material.minter, fallback.isAlive(now: now()) else { throw error }
            let minutes = (fallback.expiresAt - now()) / 60
            logger.warning(
                "could not refresh the password for \(server), answering the cached one (valid for \(minutes) more minutes): \(error.message)"
            )
            return ResolvedCredentials(fallback)
        }
        let token = CachedToken(minted, mintedBy: material.minter, now: now())
        if let reason = token.implausibleExpiry(now: now()) {
            throw ACRError(
                .api,
                "cannot get a registry password for \(server): \(minted.endpoint) answered a password whose expiry "
                    + "is not plausible (\(reason); check this computer's clock): it is refused and nothing is cached")
        }
        if cache {
            do {
                try keyring.save(token, for: server)
            } catch {
                logger.warning("could not cache the password for \(server): \(error.message)")
            }
        }
        return ResolvedCredentials(token)
    }

    /// Starts, on other threads, what a mint and the cache write after it need (libcurl loaded, the
    /// keyring's writer connected: ≈ 3 and ≈ 4 ms of mostly CPU), to run while this thread signs
    /// and waits for the API. Called once the keyring reads are done: the Secret Service answers
    /// one call at a time, and the writer's Diffie-Hellman exchange would hold them up. The
    /// keyring's thread is made first: making a thread waits for a `dlopen` under way (glibc's
    /// TLS lock), and libcurl's takes milliseconds.
    private func prepareToMint() {
        keyring.prepareToStore()
        minter.prepare()
    }

    private func finishPreparing() {
        keyring.finishPreparing()
        minter.finishPreparing()
    }

    /// The host's minting lock if no other process holds it; `nil` when one does, or when there is
    /// no lock to be had (``lockForMinting(_:)`` then tries again and says why).
    private func tryLockForMinting(_ server: ServerAddress) -> HeldLock? {
        (try? locks?.tryLock("token", for: server)) ?? nil
    }

    /// The host's minting lock, waited for at most one API request's time; past that, mint anyway.
    private func lockForMinting(_ server: ServerAddress) -> HeldLock? {
        do {
            return try locks?.lock("token", for: server, timeout: settings.timeout)
        } catch {
            logger.info("minting without the lock: \(error.message)", metadata: ["server": "\(server)"])
            return nil
        }
    }

    /// An `LTAI…` username saves the AccessKey for the host (and drops the passwords cached for it);
    /// an ACR temporary login echoed back (as `docker login` does after a `get`: the temporary
    /// username, with any password, minted now or earlier) changes nothing, since it would outrank
    /// the key and stop working within hours; anything else is a static login.
    public func store(serverURL: String, login: RegistryLogin) throws(ACRError) {
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
    public func erase(_ serverURL: String) throws(ACRError) -> Erased {
        let server = try ServerAddress(parsing: serverURL)
        let held = try lock(server)
        let (removed, kept) = try keyring.removeLoginAndTokens(for: server)
        _ = consume held
        logger.info("erased", metadata: ["server": "\(server)", "items": "\(removed)"])
        return Erased(removed: removed, keptKeyID: kept)
    }

    public func secretServiceProduct() -> SecretServiceProduct? {
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
