import Logging
import SecretStore
import Synchronization
import TestSupport
import Testing

@testable import ACR

/// The order of credential sources and the store rules, over an in-memory keyring and a minter
/// that records what it was asked.
@Suite struct ACRCredentialHelperTests {
    final class RecordingMinter: TokenMinting, @unchecked Sendable {
        let calls = Mutex<[(ACRRegistry, String)]>([])
        func token(for registry: ACRRegistry, server: ServerAddress, key: AccessKey) throws(ACRError) -> RegistryToken {
            calls.withLock { $0.append((registry, key.id)) }
            return RegistryToken(
                username: "cr_temp_user", password: "minted-with-\(key.id)", expiresAt: 0, endpoint: "stub")
        }
        var keys: [String] { calls.withLock { $0.map(\.1) } }
    }

    let memory = InMemorySecretStore()
    let minter = RecordingMinter()
    static let acrHost = "registry.cn-hangzhou.aliyuncs.com"

    func helper(environment: [String: String] = [:], settings: Settings = Settings()) -> ACRCredentialHelper {
        ACRCredentialHelper(
            keyring: CredentialKeyring(store: memory), sources: CredentialSources.standard(environment: environment),
            minter: minter, config: ConfigFile(), locks: nil, settings: settings, logger: Logger(label: "test"))
    }

    func storeDefaultKey(_ id: String) throws {
        try CredentialKeyring(store: memory).save(AccessKey(id: id, secret: "default-secret"), for: nil)
    }

    @Test func sourcesAreAskedInOrder() throws {
        let environment = [
            "ALIBABA_CLOUD_ACCESS_KEY_ID": "LTAI5tFromEnvironment", "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "e",
        ]
        try storeDefaultKey("LTAI5tDefaultKey00001")
        #expect(try helper().get(Self.acrHost).secret == "minted-with-LTAI5tDefaultKey00001")
        try helper().store(serverURL: Self.acrHost, login: RegistryLogin(username: "fixed", secret: "pw"))
        #expect(try helper().get(Self.acrHost) == RegistryLogin(username: "fixed", secret: "pw"))
        try helper().store(
            serverURL: Self.acrHost, login: RegistryLogin(username: "LTAI5tHostKey00000001", secret: "h"))
        #expect(try helper().get(Self.acrHost).secret == "minted-with-LTAI5tHostKey00000001")
        #expect(try helper(environment: environment).get(Self.acrHost).secret == "minted-with-LTAI5tFromEnvironment")
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
        #expect(error?.hint?.contains("add-key --server \(Self.acrHost)") == true)
    }

    @Test func storeTakesAnAccessKeyIDUsernameAsTheHostsKey() throws {
        try helper().store(
            serverURL: Self.acrHost, login: RegistryLogin(username: "LTAI5tHostKey00000001", secret: "s"))
        let item = try #require(memory.all.first)
        #expect(item.attributes["kind"] == "access-key" && item.attributes["access_key_id"] == "LTAI5tHostKey00000001")
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
}
