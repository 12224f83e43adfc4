import Foundation
import Logging
import SecretStore
import Synchronization
import TestSupport
import Testing

@testable import ACR

/// The order of credential sources and the store rules, over an in-memory keyring and a minter
/// that records what it was asked.
@Suite struct ACRCredentialHelperTests {
    /// Mints `minted-with-KEY-N`, valid for `lifetime` seconds of `clock`, through the public
    /// endpoint (or `endpointOverride`); fails with `failure` when set.
    final class RecordingMinter: TokenMinting, @unchecked Sendable {
        let calls = Mutex<[(ACRRegistry, String)]>([])
        let clock: Clock
        var lifetime = 3600
        var serverDate: String? = nil
        var failure: ACRError? = nil
        var endpointOverride: APIEndpoint? = nil
        init(clock: Clock) { self.clock = clock }

        func token(for registry: ACRRegistry, server: ServerAddress, material: KeyMaterial) throws(ACRError)
            -> RegistryToken
        {
            guard case .accessKey(let key) = material else { throw ACRError(.api, "only keys here") }
            let count = calls.withLock {
                $0.append((registry, key.id))
                return $0.count
            }
            if let failure { throw failure }
            return RegistryToken(
                username: "cr_temp_user", password: "minted-with-\(key.id)-\(count)", expiresAt: clock.now + lifetime,
                serverDate: serverDate, endpoint: endpoints(for: registry)[0].baseURL)
        }
        func endpoints(for registry: ACRRegistry) -> [APIEndpoint] {
            APIEndpoint.crEndpoints(for: registry, override: endpointOverride)
        }
        var keys: [String] { calls.withLock { $0.map(\.1) } }
    }

    final class Clock: @unchecked Sendable {
        let value = Mutex(1_767_323_045)
        var now: Int { value.withLock { $0 } }
        func advance(_ seconds: Int) { value.withLock { $0 += seconds } }
    }

    let memory = InMemorySecretStore()
    let clock = Clock()
    let minter: RecordingMinter
    static let acrHost = "registry.cn-hangzhou.aliyuncs.com"

    init() { minter = RecordingMinter(clock: clock) }

    func helper(
        environment: [String: String] = [:], settings: Settings = Settings(), locks: HostLocks? = nil
    ) -> ACRCredentialHelper {
        let clock = self.clock
        return ACRCredentialHelper(
            keyring: CredentialKeyring(store: memory), sources: CredentialSources.standard(environment: environment),
            tokenClient: minter, config: ConfigFile(), locks: locks, settings: settings, logger: Logger(label: "test"),
            now: { clock.now })
    }

    func storeDefaultKey(_ id: String) throws {
        try CredentialKeyring(store: memory).save(AccessKey(id: id, secret: "default-secret"), for: nil)
    }

    @Test func sourcesAreAskedInOrder() throws {
        let environment = [
            "ALIBABA_CLOUD_ACCESS_KEY_ID": "LTAI5tFromEnvironment", "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "e",
        ]
        try storeDefaultKey("LTAI5tDefaultKey00001")
        #expect(try helper().get(Self.acrHost).secret == "minted-with-LTAI5tDefaultKey00001-1")
        try helper().store(serverURL: Self.acrHost, login: RegistryLogin(username: "fixed", secret: "pw"))
        #expect(try helper().get(Self.acrHost) == RegistryLogin(username: "fixed", secret: "pw"))
        try helper().store(
            serverURL: Self.acrHost, login: RegistryLogin(username: "LTAI5tHostKey00000001", secret: "h"))
        #expect(try helper().get(Self.acrHost).secret == "minted-with-LTAI5tHostKey00000001-2")
        #expect(try helper(environment: environment).get(Self.acrHost).secret == "minted-with-LTAI5tFromEnvironment-3")
        #expect(minter.keys == ["LTAI5tDefaultKey00001", "LTAI5tHostKey00000001", "LTAI5tFromEnvironment"])
    }

    @Test func otherHostsGetOnlyTheirStaticLoginAndNeverAKey() throws {
        let environment = [
            "ALIBABA_CLOUD_ACCESS_KEY_ID": "LTAI5tFromEnvironment", "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "e",
        ]
        try storeDefaultKey("LTAI5tDefaultKey00001")
        let error = #expect(throws: ACRError.self) { try helper(environment: environment).get("index.docker.io") }
        #expect(error?.code == .notFound && error?.hint == nil)
        try helper().store(serverURL: "index.docker.io", login: RegistryLogin(username: "me", secret: "pw"))
        #expect(try helper(environment: environment).get("https://index.docker.io/v1/").username == "me")
        #expect(minter.keys.isEmpty)
    }

    @Test func anACRHostWithNothingIsNotFoundWithAHint() {
        let error = #expect(throws: ACRError.self) { try helper().get(Self.acrHost) }
        #expect(error?.message == "credentials not found in native keychain")
        #expect(error?.advice == .storeKey(server: Self.acrHost, host: Self.acrHost))
    }

    @Test func storeTakesAnAccessKeyIDUsernameAsTheHostsKey() throws {
        try helper().store(
            serverURL: Self.acrHost, login: RegistryLogin(username: "LTAI5tHostKey00000001", secret: "s"))
        let item = try #require(memory.all.first { $0.attributes["kind"] == "access-key" })
        #expect(item.attributes["access_key_id"] == "LTAI5tHostKey00000001")
        #expect(item.secret == #"{"access_key_id":"LTAI5tHostKey00000001","access_key_secret":"s"}"#)
        #expect(try helper().list() == [Self.acrHost: "LTAI5tHostKey00000001"])
    }

    @Test func theInstanceVariablesNeedARegionForHostsThatNameNone() throws {
        var settings = Settings()
        settings.instanceID = "cri-pinned"
        #expect(
            try helper(settings: settings).registry(for: ServerAddress(parsing: Self.acrHost))
                == ACRRegistry(edition: .instance(id: "cri-pinned"), region: "cn-hangzhou", vpc: false))
        let error = #expect(throws: ACRError.self) {
            try helper(settings: settings).registry(for: ServerAddress(parsing: "registry.example.com"))
        }
        #expect(error?.message.contains("DOCKER_CREDENTIAL_ACR_HELPER_REGION") == true)
    }

    @Test(arguments: [
        ("LTAI5tAbCdEfGh12345678", true), ("LTAIshort", false), ("ltai5tabcdefgh12345678", false),
        ("LTAI5t-with-dash-12345", false), ("alice", false), ("STS.NabcdefghIJKL", false),
    ])
    func accessKeyIDs(_ text: String, _ isKey: Bool) {
        #expect(AccessKey.looksLikeID(text) == isKey)
    }

    @Test func maskedIDsShowNoMoreThanEightCharacters() {
        #expect(AccessKey.mask("LTAI5tAbCdEfGh12345678") == "LTAI****5678")
        #expect(AccessKey.mask("short") == "sh****")
    }

    // MARK: The token cache

    func storeHostKey(_ id: String = "LTAI5tHostKey00000001") throws {
        try helper().store(serverURL: Self.acrHost, login: RegistryLogin(username: id, secret: "s"))
    }

    var tokenItems: [SecretItem] { memory.all.filter { $0.attributes["kind"] == "token" } }

    @Test func aCachedPasswordIsReusedUntilItsMargin() throws {
        try storeHostKey()
        let first = try helper().get(Self.acrHost)
        #expect(first.secret == "minted-with-LTAI5tHostKey00000001-1")
        let item = try #require(tokenItems.first)
        #expect(
            item.attributes == [
                "kind": "token", "server": Self.acrHost, "minted_by": "LTAI5tHostKey00000001",
                "endpoint": "https://cr.cn-hangzhou.aliyuncs.com",
            ])
        #expect(
            item.secret
                == #"{"username":"cr_temp_user","password":"minted-with-LTAI5tHostKey00000001-1","expires_at":1767326645,"minted_at":1767323045}"#
        )
        // An hour's password: the margin is 6 minutes (10%), more than the 5-minute floor.
        clock.advance(3600 - 361)
        #expect(try helper().get(Self.acrHost) == first)
        clock.advance(2)
        #expect(try helper().get(Self.acrHost).secret == "minted-with-LTAI5tHostKey00000001-2")
        #expect(minter.keys.count == 2 && tokenItems.count == 1)
    }

    @Test func aColdGetWithTheLockFreeReadsOnceUnderIt() throws {
        let locks = try #require(HostLocks(environment: ["XDG_RUNTIME_DIR": makeTemporaryDirectory(prefix: "locks")]))
        try storeHostKey()
        let before = memory.searches.count
        #expect(try helper(locks: locks).get(Self.acrHost).secret == "minted-with-LTAI5tHostKey00000001-1")
        // The host's items once, read under the minting lock: nothing to read again before minting.
        #expect(memory.searches.dropFirst(before).filter { $0 == ["server": Self.acrHost] }.count == 1)
    }

    @Test func aCachedPasswordIsWrittenPlainAndKeysAndLoginsEncrypted() throws {
        try storeHostKey()
        try helper().store(
            serverURL: "static.example.com", login: RegistryLogin(username: "alice", secret: "s3cret"))
        _ = try helper().get(Self.acrHost)
        let transfers = memory.storedTransfers.map { "\($0.kind):\($0.transfer)" }
        #expect(transfers == ["access-key:encrypted", "registry-login:encrypted", "token:plain"])
    }

    @Test func aColdGetFindingTheLockHeldWaitsAndTakesThePasswordMintedMeanwhile() throws {
        let locks = try #require(HostLocks(environment: ["XDG_RUNTIME_DIR": makeTemporaryDirectory(prefix: "locks")]))
        try storeHostKey()
        let server = try ServerAddress(parsing: Self.acrHost)
        // Another process is minting: it holds the lock, and caches its password before letting go.
        let held = try locks.lock("token", for: server, timeout: .zero)
        let hostReads = { [memory] in memory.searches.filter { $0 == ["server": Self.acrHost] }.count }
        let before = hostReads()
        let answer = Mutex<Result<RegistryLogin, ACRError>?>(nil)
        let done = DispatchSemaphore(value: 0)
        let getter = Thread { [self] in
            let result = Result { () throws(ACRError) in try helper(locks: locks).get(Self.acrHost) }
            answer.withLock { $0 = result }
            done.signal()
        }
        getter.start()
        // Once the getter has read the cache and found nothing, it waits for the lock.
        let limit = ContinuousClock.now + .seconds(10)
        while hostReads() == before && ContinuousClock.now < limit { usleep(1000) }
        #expect(hostReads() == before + 1, "the getter never read the cache")
        let other = CachedToken(
            username: "cr_temp_user", password: "minted-by-the-other", expiresAt: clock.now + 3600, mintedAt: clock.now,
            mintedBy: "LTAI5tHostKey00000001", endpoint: "https://cr.cn-hangzhou.aliyuncs.com")
        try CredentialKeyring(store: memory).save(other, for: server)
        _ = consume held
        #expect(done.wait(timeout: .now() + 10) == .success, "the getter did not end")
        #expect(try answer.withLock { $0 }?.get().secret == "minted-by-the-other")
        // Read again under the lock, and nothing minted.
        #expect(hostReads() == before + 2 && minter.keys.isEmpty)
    }

    @Test func shortPasswordsKeepFiveMinutesOfMargin() throws {
        minter.lifetime = 600
        try storeHostKey()
        _ = try helper().get(Self.acrHost)
        clock.advance(299)
        _ = try helper().get(Self.acrHost)
        clock.advance(2)
        _ = try helper().get(Self.acrHost)
        #expect(minter.keys.count == 2)
    }

    @Test func aChangedKeyMintsAnewAndDropsTheOldPasswords() throws {
        try storeHostKey("LTAI5tHostKey00000001")
        _ = try helper().get(Self.acrHost)
        try storeHostKey("LTAI5tHostKey00000002")
        #expect(tokenItems.isEmpty)
        #expect(try helper().get(Self.acrHost).secret == "minted-with-LTAI5tHostKey00000002-2")
        // A key that answers first (the environment) does not use another key's password either.
        let environment = [
            "ALIBABA_CLOUD_ACCESS_KEY_ID": "LTAI5tFromEnvironment", "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "e",
        ]
        #expect(try helper(environment: environment).get(Self.acrHost).secret == "minted-with-LTAI5tFromEnvironment-3")
    }

    @Test func aPasswordMintedThroughAnotherEndpointIsNotUsed() throws {
        try storeHostKey()
        _ = try helper().get(Self.acrHost)
        minter.endpointOverride = try APIEndpoint(overriding: "https://cr.internal.example", variable: "X")
        #expect(try helper().get(Self.acrHost).secret == "minted-with-LTAI5tHostKey00000001-2")
        #expect(tokenItems.first?.attributes["endpoint"] == "https://cr.internal.example")
    }

    @Test func noCacheNeitherReadsNorWrites() throws {
        try storeHostKey()
        var settings = Settings()
        settings.noCache = true
        _ = try helper(settings: settings).get(Self.acrHost)
        _ = try helper(settings: settings).get(Self.acrHost)
        #expect(minter.keys.count == 2 && tokenItems.isEmpty)
    }

    @Test func aFailedRefreshAnswersTheCachedPasswordWhileItLives() throws {
        try storeHostKey()
        let first = try helper().get(Self.acrHost)
        clock.advance(3500)
        minter.failure = ACRError(.network, "cannot get a registry password: no route")
        #expect(try helper().get(Self.acrHost) == first)
        clock.advance(101)
        let error = #expect(throws: ACRError.self) { try helper().get(Self.acrHost) }
        #expect(error?.message == "cannot get a registry password: no route")
    }

    @Test func expiryFollowsTheServicesClockThroughItsDateHeader() throws {
        // The service's clock is 20 minutes ahead of ours: its expiry means 20 minutes earlier here.
        minter.serverDate = "Fri, 02 Jan 2026 03:24:05 GMT"
        try storeHostKey()
        _ = try helper().get(Self.acrHost)
        let secret = try #require(tokenItems.first?.secret)
        #expect(secret.contains(#""expires_at":\#(1_767_323_045 + 3600 - 1200)"#))
        #expect(HTTPDate.parse("Fri, 02 Jan 2026 03:04:05 GMT") == 1_767_323_045)
        #expect(HTTPDate.parse("Friday, 02-Jan-26 03:04:05 GMT") == nil)
    }

    @Test func aPasswordClaimingMoreThanADayIsRefusedAndNotCached() throws {
        minter.lifetime = 48 * 3600
        try storeHostKey()
        for _ in 0..<2 {
            let error = #expect(throws: ACRError.self) { try helper().get(Self.acrHost) }
            #expect(error?.message.contains("it claims to be valid for more than 24 hours") == true)
        }
        #expect(minter.keys.count == 2)
        #expect(tokenItems.isEmpty)
    }

    /// The cached password is answered while strictly more than the margin remains: at the exact
    /// second it is minted anew (a `>=` there would answer it once more).
    @Test func theReuseMarginIsStrictToTheSecond() throws {
        let token = CachedToken(
            username: "u", password: "p", expiresAt: 10_000 + 3600, mintedAt: 10_000, mintedBy: "k", endpoint: "e")
        #expect(token.margin == 360)
        #expect(token.isReusable(now: 10_000 + 3600 - 361, mintedBy: "k", endpoints: ["e"]))
        #expect(!token.isReusable(now: 10_000 + 3600 - 360, mintedBy: "k", endpoints: ["e"]))
    }

    /// AccessKey IDs older than the `LTAI5t…` form are keys too, never a registry login whose
    /// "password" `get` would hand to docker.
    @Test(arguments: ["LTAI4FoldKeyId000001", "LTAIabcdefghijklmnop", "LTAI0123456789AB"])
    func anOlderAccessKeyIDIsStoredAsAKey(_ id: String) throws {
        try helper().store(serverURL: Self.acrHost, login: RegistryLogin(username: id, secret: "s"))
        #expect(memory.all.map { $0.attributes["kind"] } == ["access-key"])
        #expect(memory.all.first?.attributes["access_key_id"] == id)
    }

    @Test func aPasswordAlreadyExpiredIsRefusedAndNotCached() throws {
        minter.lifetime = -60
        try storeHostKey()
        let error = #expect(throws: ACRError.self) { try helper().get(Self.acrHost) }
        #expect(error?.message.contains("it has already expired") == true)
        #expect(tokenItems.isEmpty)
    }

    /// `docker login` with a temporary password minted earlier (after a re-mint, or with the cache
    /// off) would freeze it as a static login, which outranks the key and fails within hours.
    @Test func aTemporaryLoginIsNeverStoredAsAStaticOne() throws {
        try storeHostKey()
        let minted = try helper().get(Self.acrHost)
        let before = memory.all
        let earlier = RegistryLogin(username: "cr_temp_user", secret: "an-earlier-password")
        try helper().store(serverURL: Self.acrHost, login: earlier)
        var noCache = Settings()
        noCache.noCache = true
        try helper(settings: noCache).store(serverURL: Self.acrHost, login: earlier)
        #expect(memory.all == before)
        #expect(try helper().get(Self.acrHost) == minted)
        // Another registry's login of that name is a login like any other.
        let other = RegistryLogin(username: "cr_temp_user", secret: "p")
        try helper().store(serverURL: "other.example.com", login: other)
        #expect(try helper().get("other.example.com") == other)
    }

    /// With no password cached to compare with (a new keyring, or after `clear-cache`), the
    /// temporary username alone tells a temporary login. Guards against: recognising it only by
    /// the cached password's username.
    @Test func aTemporaryLoginWithNothingCachedIsStillNotStored() throws {
        try storeHostKey()
        let before = memory.all
        try helper().store(serverURL: Self.acrHost, login: RegistryLogin(username: "cr_temp_user", secret: "p"))
        #expect(memory.all == before)
        #expect(try helper().get(Self.acrHost).secret == "minted-with-LTAI5tHostKey00000001-1")
    }

    /// A cached item claiming more than a day of life (ACR mints none that long: something else
    /// wrote it) is not answered; a password is minted. Guards against: dropping the 24-hour clamp.
    @Test func aCachedPasswordClaimingMoreThanADayIsNotReused() throws {
        try storeHostKey()
        let forged = CachedToken(
            username: "cr_temp_user", password: "forged", expiresAt: clock.now + 2 * 86_400, mintedAt: clock.now,
            mintedBy: "LTAI5tHostKey00000001", endpoint: "https://cr.cn-hangzhou.aliyuncs.com")
        try CredentialKeyring(store: memory).save(forged, for: ServerAddress(parsing: Self.acrHost))
        #expect(try helper().get(Self.acrHost).secret == "minted-with-LTAI5tHostKey00000001-1")
    }

    @Test func dockerLoginEchoingTheCachedPasswordChangesNothing() throws {
        try storeHostKey()
        let minted = try helper().get(Self.acrHost)
        let before = memory.all
        try helper().store(serverURL: Self.acrHost, login: minted)
        #expect(memory.all == before)
        #expect(try helper().get(Self.acrHost) == minted)
    }
}
