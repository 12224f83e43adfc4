import Foundation
import TestSupport
import Testing

/// The token cache and single flight through the built helper, a private keyring and the ACR API
/// stub: what the stub was asked is what the cache saved.
@Suite final class TokenCacheTests: @unchecked Sendable {
    static let keyA = ACRAPIStub.Key(id: "LTAI5tCacheKeyA00001", secret: "CacheSecretA0123456789abcdef")
    static let keyB = ACRAPIStub.Key(id: "LTAI5tCacheKeyB00001", secret: "CacheSecretB0123456789abcdef")
    static let personalHost = "registry.cn-hangzhou.aliyuncs.com"
    static let enterpriseHost = "myee-registry.cn-hangzhou.cr.aliyuncs.com"

    let stub: ACRAPIStub
    var helper: HelperBinary

    init() throws {
        stub = try ACRAPIStub(
            keys: [Self.keyA, Self.keyB], instances: [ACRAPIStub.Instance(id: "cri-myee0001", name: "myee")])
        helper = try HelperBinary(keyring: PrivateKeyring())
        helper.environment["DOCKER_CREDENTIAL_ACR_HELPER_CR_ENDPOINT"] = stub.endpoint
    }

    func storeKey(_ key: ACRAPIStub.Key, for host: String) throws {
        #expect(try helper.run("store", HelperBinary.storeRequest(host, key.id, key.secret)).status == 0)
    }

    func password(_ host: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> String? {
        let result = try helper.run("get", host)
        #expect(result.status == 0, "\(result.stdoutText)\(result.stderrText)", sourceLocation: sourceLocation)
        let object = try JSONSerialization.jsonObject(with: result.stdout) as? [String: String]
        return object?["Secret"]
    }

    @Test func theSecondGetMakesNoRequest() throws {
        try storeKey(Self.keyA, for: Self.personalHost)
        let first = try password(Self.personalHost)
        let second = try password(Self.personalHost)
        #expect(first != nil && first == second)
        #expect(stub.requests.count == 1)
        // The cached password is in the keyring, under the key and endpoint that minted it.
        let token = try #require(try helper.independentlyStoredItems().first { $0["attribute.kind"] == "token" })
        #expect(token["attribute.server"] == Self.personalHost)
        #expect(token["attribute.minted_by"] == Self.keyA.id)
        #expect(token["attribute.endpoint"] == stub.endpoint)
    }

    /// libcurl and libgcrypt are opened on first use (`dlopen`): by a mint (which signs and
    /// sends), never by a `get` answered from the cache; and no Secret Service library, nor GLib,
    /// is ever loaded (the helper is its own client, over libdbus). The dynamic loader says what it
    /// loads and why: "dynamically loaded" is a `dlopen`. (libdbus's libsystemd links libgcrypt on
    /// Debian, so there a mint finds it loaded already.)
    @Test func onlyAMintLoadsTheLibrariesAWarmGetDoesNotNeed() throws {
        try storeKey(Self.keyA, for: Self.personalHost)
        helper.environment["LD_DEBUG"] = "files"
        func opened(_ result: ProcessResult) -> [String] {
            result.stderrText.split(separator: "\n").filter { $0.contains("dynamically loaded by") }.compactMap {
                line in ["libgcrypt.so", "libcurl.so"].first { line.contains("file=\($0)") }
            }
        }
        func neverLoaded(_ result: ProcessResult) -> Bool {
            !["libsecret-1.so", "libgio-2.0.so", "libglib-2.0.so"].contains { result.stderrText.contains("file=\($0)") }
        }
        let cold = try helper.run("get", Self.personalHost)
        #expect(cold.status == 0)
        #expect(opened(cold).contains("libcurl.so"), "\(opened(cold))")
        #expect(neverLoaded(cold))
        let warm = try helper.run("get", Self.personalHost)
        #expect(warm.status == 0)
        #expect(opened(warm) == [])
        #expect(neverLoaded(warm))
        #expect(stub.requests.count == 1)
    }

    @Test func aColdEnterpriseGetAfterTheFirstMakesOneRequest() throws {
        try storeKey(Self.keyA, for: Self.enterpriseHost)
        _ = try password(Self.enterpriseHost)
        #expect(stub.requests.map(\.action) == ["ListInstance", "GetAuthorizationToken"])
        // Without the token cache, the instance ID is still remembered.
        helper.environment["DOCKER_CREDENTIAL_ACR_HELPER_NO_CACHE"] = "1"
        _ = try password(Self.enterpriseHost)
        #expect(stub.requests.map(\.action) == ["ListInstance", "GetAuthorizationToken", "GetAuthorizationToken"])
        let memory = try String(
            contentsOfFile: helper.environment["HOME"]! + "/.cache/docker-credential-acr-helper/instances.json",
            encoding: .utf8)
        #expect(memory == #"{"cn-hangzhou\/myee":"cri-myee0001"}"#)
    }

    @Test func aRememberedInstanceThatWasReplacedIsLookedUpAfresh() throws {
        try storeKey(Self.keyA, for: Self.enterpriseHost)
        helper.environment["DOCKER_CREDENTIAL_ACR_HELPER_NO_CACHE"] = "1"
        _ = try password(Self.enterpriseHost)
        try stub.reconfigure(keys: [Self.keyA], instances: [ACRAPIStub.Instance(id: "cri-myee0002", name: "myee")])
        #expect(try password(Self.enterpriseHost)?.hasPrefix("token-cri-myee0002-") == true)
        #expect(
            stub.requests.map { $0.action ?? "" } == [
                "ListInstance", "GetAuthorizationToken", "GetAuthorizationToken", "ListInstance",
                "GetAuthorizationToken",
            ])
        #expect(stub.requests[2].code == "INSTANCE_NOT_EXIST")
    }

    @Test func anUnusableInstanceMemoryIsIgnored() throws {
        let folder = helper.environment["HOME"]! + "/.cache/docker-credential-acr-helper"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try Data("not json".utf8).write(to: URL(fileURLWithPath: folder + "/instances.json"))
        try storeKey(Self.keyA, for: Self.enterpriseHost)
        #expect(try password(Self.enterpriseHost)?.hasPrefix("token-cri-myee0001-") == true)
        #expect(
            try String(contentsOfFile: folder + "/instances.json", encoding: .utf8)
                == #"{"cn-hangzhou\/myee":"cri-myee0001"}"#)
        let mode = try FileManager.default.attributesOfItem(atPath: folder + "/instances.json")[.posixPermissions]
        #expect(mode as? Int == 0o600)
    }

    @Test func noCacheMintsEveryTimeAndCachesNothing() throws {
        try storeKey(Self.keyA, for: Self.personalHost)
        helper.environment["DOCKER_CREDENTIAL_ACR_HELPER_NO_CACHE"] = "1"
        let first = try password(Self.personalHost)
        let second = try password(Self.personalHost)
        #expect(first != second && stub.requests.count == 2)
        #expect(try helper.independentlyStoredItems().allSatisfy { $0["attribute.kind"] != "token" })
    }

    @Test func sixteenConcurrentColdGetsMakeOneRequestAndAgree() async throws {
        try storeKey(Self.keyA, for: Self.personalHost)
        let helper = self.helper
        let answers = try await withThrowingTaskGroup(of: ProcessResult.self) { group in
            for _ in 0..<16 { group.addTask { try helper.run("get", Self.personalHost) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(answers.count == 16 && answers.allSatisfy { $0.status == 0 })
        #expect(Set(answers.map(\.stdoutText)).count == 1)
        #expect(stub.requests.count == 1)
    }

    @Test func aChangedKeyForcesANewPassword() throws {
        try storeKey(Self.keyA, for: Self.personalHost)
        let first = try password(Self.personalHost)
        try storeKey(Self.keyB, for: Self.personalHost)
        let second = try password(Self.personalHost)
        #expect(first != second)
        #expect(stub.requests.map(\.key) == [Self.keyA.id, Self.keyB.id])
    }

    @Test func aPasswordMintedThroughOneEndpointIsNotUsedForAnother() throws {
        try storeKey(Self.keyA, for: Self.personalHost)
        _ = try password(Self.personalHost)
        let other = try ACRAPIStub(keys: [Self.keyA])
        helper.environment["DOCKER_CREDENTIAL_ACR_HELPER_CR_ENDPOINT"] = other.endpoint
        _ = try password(Self.personalHost)
        #expect(stub.requests.count == 1 && other.requests.count == 1)
    }

    @Test func clearCacheDropsPasswordsButKeepsKeys() throws {
        try storeKey(Self.keyA, for: Self.personalHost)
        _ = try password(Self.personalHost)
        let cleared = try runProcess(
            PackagePaths.helper, ["clear-cache", "--server", "https://\(Self.personalHost)/"],
            environment: helper.environment)
        #expect(cleared.status == 0 && cleared.stdoutText == "dropped 1 cached password for \(Self.personalHost)\n")
        _ = try password(Self.personalHost)
        #expect(stub.requests.count == 2)
        let all = try runProcess(PackagePaths.helper, ["clear-cache"], environment: helper.environment)
        #expect(all.stdoutText == "dropped 1 cached password\n")
        #expect(try helper.independentlyStoredItems().map { $0["attribute.kind"] } == ["access-key"])
    }

    @Test func dockerLoginEchoingTheCachedPasswordStoresNothing() throws {
        try storeKey(Self.keyA, for: Self.personalHost)
        let secret = try #require(try password(Self.personalHost))
        let before = try helper.independentlyStoredItems()
        #expect(
            try helper.run("store", HelperBinary.storeRequest(Self.personalHost, "cr_temp_user", secret)).status == 0)
        #expect(try helper.independentlyStoredItems() == before)
    }
}

/// ACR end to end through real clients, against a registry that accepts only the password the
/// helper mints (``ACRRegistryFixture``).
@Suite struct ACRClientTests {
    static let key = ACRAPIStub.Key(id: "LTAI5tClientKey000001", secret: "ClientSecret0123456789abcdef")
    let fixture: ACRRegistryFixture
    var registry: TestRegistry { fixture.registry }
    var stub: ACRAPIStub { fixture.stub }
    var session: ClientSession { fixture.session }
    var mintedPassword: String { fixture.mintedPassword }

    init() throws { fixture = try ACRRegistryFixture(key: Self.key, instanceID: "cri-e2e0001") }

    func storeKey(secret: String) throws {
        let request = HelperBinary.storeRequest(registry.host, Self.key.id, secret)
        #expect(try session.helper.run("store", request).status == 0)
    }

    @Test func skopeoAndDockerReadWithAPasswordOnlyTheHelperCouldMint() throws {
        try storeKey(secret: Self.key.secret)
        let inspect = try session.run("skopeo", ["inspect", "--tls-verify=false", "docker://\(registry.image)"])
        #expect(inspect.status == 0, "\(inspect.stderrText)")
        #expect(inspect.stdoutText.contains(#""Name": "\#(registry.host)/demo/hello""#))
        let manifest = try session.run("docker", ["manifest", "inspect", "--insecure", registry.image])
        #expect(manifest.status == 0, "\(manifest.stderrText)")
        #expect(manifest.stdoutText.contains("application/vnd.oci.image.layer.v1.tar"))
        // Minted once, then served from the keyring.
        #expect(stub.requests.map(\.action) == ["GetAuthorizationToken"])
        #expect(stub.requests.first?.query == ["InstanceId": "cri-e2e0001"])
        #expect(!session.dockerConfigText.contains(mintedPassword))
    }

    @Test func aWrongSecretFailsTheClientAndTheHelperSaysWhy() throws {
        try storeKey(secret: "NotTheSecret0123456789abcdef")
        let why = "the secret stored for AccessKey LTAI****0001 is wrong"
        // skopeo shows the helper's line; docker swallows it into "no basic auth credentials".
        let skopeo = try session.run("skopeo", ["inspect", "--tls-verify=false", "docker://\(registry.image)"])
        #expect(skopeo.status != 0)
        #expect(
            skopeo.stderrText.contains("SignatureDoesNotMatch") && skopeo.stderrText.contains(why),
            "\(skopeo.stderrText)")
        let docker = try session.run("docker", ["manifest", "inspect", "--insecure", registry.image])
        #expect(docker.status != 0)
        let get = try session.helper.run("get", registry.host)
        #expect(get.status == 1 && get.stdoutText.contains("SignatureDoesNotMatch") && get.stdoutText.contains(why))
        #expect(stub.requests.allSatisfy { $0.code == "SignatureDoesNotMatch" })
    }
}
