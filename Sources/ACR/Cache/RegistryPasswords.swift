import Glibc
import Logging

/// ACR registry passwords for a key: the one cached in the keyring while it is reusable, else a
/// new one, minted by one process at a time per host and cached
/// (docs/design.md#the-password-cache).
struct RegistryPasswords: Sendable {
    let keyring: CredentialKeyring
    let tokenClient: any TokenMinting
    let locks: HostLocks?
    let settings: Settings
    let logger: Logger
    let now: @Sendable () -> Int

    /// The host's minting lock if no other process holds it; `nil` when one does, or when there is
    /// no lock to be had (``password(for:request:material:source:heldWhileReading:)`` then waits
    /// for it, or says why not). Taken before the keyring is read, so that what is read under it is
    /// what a mint would need to know, with nothing to read again.
    func tryLockForMinting(_ server: ServerAddress) -> HeldLock? {
        guard !settings.noCache else { return nil }
        return (try? locks?.tryLock("token", for: server)) ?? nil
    }

    /// A password for `registry` minted with `material`: the cached one while it is good, else a
    /// new one.
    /// - Parameter heldWhileReading: the host's minting lock, if it was taken before the keyring
    ///   was read.
    func password(
        for registry: ACRRegistry, request: CredentialRequest, material: KeyMaterial, source: any CredentialSource,
        heldWhileReading: consuming HeldLock?
    ) throws(ACRError) -> ResolvedCredentials {
        let server = request.server
        let endpoints = tokenClient.endpoints(for: registry).map(\.baseURL)
        let identity = material.mintingIdentity
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
        if let cached, cached.isReusable(now: now(), mintedBy: identity, endpoints: endpoints) {
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
            if let current, current.isReusable(now: now(), mintedBy: identity, endpoints: endpoints) {
                logger.debug("answered with the password another process just minted", metadata: metadata)
                return ResolvedCredentials(current)
            }
        }
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
            minted = try tokenClient.token(for: registry, server: server, material: material)
        } catch {
            guard let fallback, fallback.mintedBy == material.mintingIdentity, fallback.isAlive(now: now()) else {
                throw error
            }
            let minutes = (fallback.expiresAt - now()) / 60
            logger.warning(
                "could not refresh the password for \(server), answering the cached one (valid for \(minutes) more minutes): \(error.message)"
            )
            return ResolvedCredentials(fallback)
        }
        let token = CachedToken(minted, mintedBy: material.mintingIdentity, now: now())
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

    /// The host's minting lock, waited for at most one API request's time; past that, mint anyway.
    private func lockForMinting(_ server: ServerAddress) -> HeldLock? {
        do {
            return try locks?.lock("token", for: server, timeout: settings.timeout)
        } catch {
            logger.info("minting without the lock: \(error.message)", metadata: ["server": "\(server)"])
            return nil
        }
    }
}
