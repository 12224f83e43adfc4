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

/// The credential helper over the keyring.
///
/// For now it keeps static registry logins, like docker's own secretservice helper; the ACR token
/// exchange plugs into ``get(_:)`` ahead of the static login.
public struct ACRCredentialHelper: CredentialHelper {
    private let keyring: CredentialKeyring
    private let locks: HostLocks?
    private let settings: Settings
    private let logger: Logger

    /// - Parameters:
    ///   - keyring: this helper's items in the Secret Service.
    ///   - locks: the per-host locks, or `nil` where no lock folder could be had.
    ///   - settings: the settings read from the environment.
    ///   - logger: where to log; never given a secret.
    public init(keyring: CredentialKeyring, locks: HostLocks?, settings: Settings, logger: Logger) {
        self.keyring = keyring
        self.locks = locks
        self.settings = settings
        self.logger = logger
    }

    public func get(_ serverURL: String) throws(ACRError) -> RegistryLogin {
        let server = try ServerAddress(parsing: serverURL)
        if let login = try keyring.registryLogin(for: server) {
            logger.debug("answered from a stored registry login", metadata: ["server": "\(server)"])
            return login
        }
        logger.debug("nothing stored", metadata: ["server": "\(server)"])
        throw ACRError.notFound()
    }

    public func store(serverURL: String, login: RegistryLogin) throws(ACRError) {
        let server = try ServerAddress(parsing: serverURL)
        let held = try lock(server)
        try keyring.save(login, for: server)
        _ = consume held
        logger.info("stored a registry login", metadata: ["server": "\(server)", "username": "\(login.username)"])
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
