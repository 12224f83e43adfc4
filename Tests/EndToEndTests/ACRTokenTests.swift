import Foundation
import TestSupport
import Testing

/// `get` for ACR hosts through the built helper, a private keyring and the ACR API stub, which
/// checks every signature with the official Alibaba Cloud Python SDK.
/// A class, so that each test can adjust the helper's environment for itself.
@Suite final class ACRTokenTests: @unchecked Sendable {
    static let personalKey = ACRAPIStub.Key(id: "LTAI5tPersonalKey0001", secret: "PersonalSecret0123456789abcdef")
    static let enterpriseKey = ACRAPIStub.Key(id: "LTAI5tEnterpriseKey01", secret: "EnterpriseSecret0123456789ab")
    static let stsKey = ACRAPIStub.Key(
        id: "STS.NTestStsAccessKeyId", secret: "StsSecret0123", securityToken: "CAIS-test-security-token+/=")
    static let personalHost = "registry.cn-hangzhou.aliyuncs.com"

    let stub: ACRAPIStub
    var helper: HelperBinary
    let configHome: String

    init() throws {
        stub = try ACRAPIStub(
            keys: [Self.personalKey, Self.enterpriseKey, Self.stsKey],
            instances: [
                ACRAPIStub.Instance(id: "crpi-abc123", name: "crpi-abc123"),
                ACRAPIStub.Instance(id: "cri-custom0001", name: "custom", region: "cn-beijing"),
            ])
        helper = try HelperBinary(keyring: PrivateKeyring())
        helper.environment["DOCKER_CREDENTIAL_ACR_HELPER_CR_ENDPOINT"] = stub.endpoint
        configHome = try makeTemporaryDirectory(prefix: "config-home")
        helper.environment["XDG_CONFIG_HOME"] = configHome
    }

    func storeKey(_ key: ACRAPIStub.Key, for host: String) throws {
        let stored = try helper.run("store", HelperBinary.storeRequest(host, key.id, key.secret))
        #expect(stored.status == 0, "\(stored.stdoutText)")
    }

    func expectAnswer(
        _ host: String, password: String, sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let result = try helper.run("get", host)
        #expect(result.status == 0, "\(result.stdoutText)\(result.stderrText)", sourceLocation: sourceLocation)
        #expect(
            result.stdoutText == #"{"ServerURL":"\#(host)","Username":"cr_temp_user","Secret":"\#(password)"}"# + "\n",
            sourceLocation: sourceLocation)
    }

    @Test func personalHostWithTheKeyStoredForIt() throws {
        try storeKey(Self.personalKey, for: Self.personalHost)
        try expectAnswer(Self.personalHost, password: "token-personal-\(Self.personalKey.id)-1")
        let requests = stub.requests
        #expect(requests.count == 1)
        #expect(requests.first?.method == "GET" && requests.first?.path == "/tokens")
        #expect(requests.first?.version == "2016-06-07" && requests.first?.action == "GetAuthorizationToken")
        #expect(requests.first?.key == Self.personalKey.id && requests.first?.status == 200)
        // The key is listed by its ID, and its item carries only the ID as an attribute.
        #expect(try helper.run("list").stdoutText == #"{"\#(Self.personalHost)":"\#(Self.personalKey.id)"}"# + "\n")
        let item = try #require(try helper.independentlyStoredItems().first { $0["attribute.kind"] == "access-key" })
        #expect(item["attribute.kind"] == "access-key" && item["attribute.access_key_id"] == Self.personalKey.id)
        #expect(item["label"] == "Alibaba Cloud AccessKey LTAI****0001 for \(Self.personalHost)")
    }

    @Test func enterpriseHostFoundOnALaterPageOfListInstanceByExactName() throws {
        // 31 instances whose names contain "myee" (the service matches loosely); the exact one last.
        let decoys = (0..<31).map { ACRAPIStub.Instance(id: "cri-decoy\($0)", name: "myee-\($0)") }
        try stub.reconfigure(
            keys: [Self.enterpriseKey], instances: decoys + [ACRAPIStub.Instance(id: "cri-myee0001", name: "myee")])
        let host = "myee-registry-vpc.cn-hangzhou.cr.aliyuncs.com"
        try storeKey(Self.enterpriseKey, for: host)
        try expectAnswer(host, password: "token-cri-myee0001-\(Self.enterpriseKey.id)-1")
        let requests = stub.requests
        #expect(requests.map(\.action) == ["ListInstance", "ListInstance", "GetAuthorizationToken"])
        #expect(requests.map { $0.query["PageNo"] } == ["1", "2", nil])
        #expect(requests.first?.query["InstanceName"] == "myee")
        #expect(requests.last?.query == ["InstanceId": "cri-myee0001"])
        #expect(requests.allSatisfy { $0.status == 200 && $0.version == "2018-12-01" && $0.method == "POST" })
    }

    @Test func newPersonalInstanceHostsUseTheirInstanceIDDirectly() throws {
        let host = "crpi-abc123.cn-hangzhou.personal.cr.aliyuncs.com"
        try storeKey(Self.personalKey, for: host)
        try expectAnswer(host, password: "token-crpi-abc123-\(Self.personalKey.id)-1")
        #expect(stub.requests.map(\.action) == ["GetAuthorizationToken"])
        #expect(stub.requests.first?.query == ["InstanceId": "crpi-abc123"])
    }

    @Test func aCustomDomainNamedInTheConfigFile() throws {
        let folder = configHome + "/docker-credential-acr-helper"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try Data(
            #"{"registries":{"Registry.Example.com":{"instance_id":"cri-custom0001","region":"cn-beijing"}}}"#.utf8
        )
        .write(to: URL(fileURLWithPath: folder + "/config.json"))
        helper.environment["DOCKER_CREDENTIAL_ACR_HELPER_TOKEN_HOURS"] = "12"
        try storeKey(Self.enterpriseKey, for: "registry.example.com")
        try expectAnswer(
            "https://registry.example.com/v2/", password: "token-cri-custom0001-\(Self.enterpriseKey.id)-1")
        #expect(stub.requests.map(\.query) == [["InstanceId": "cri-custom0001", "ExpiresInHours": "12"]])
    }

    @Test func theInstanceVariablesPinEveryHost() throws {
        helper.environment["DOCKER_CREDENTIAL_ACR_HELPER_INSTANCE_ID"] = "cri-custom0001"
        helper.environment["DOCKER_CREDENTIAL_ACR_HELPER_REGION"] = "cn-beijing"
        try storeKey(Self.enterpriseKey, for: "wrapped.example.com")
        try expectAnswer("wrapped.example.com", password: "token-cri-custom0001-\(Self.enterpriseKey.id)-1")
    }

    @Test func anEnvironmentKeyBeatsTheKeyringAndNeedsNoKeyringAtAll() throws {
        try storeKey(Self.personalKey, for: Self.personalHost)
        helper.environment["ALIBABA_CLOUD_ACCESS_KEY_ID"] = Self.stsKey.id
        helper.environment["ALIBABA_CLOUD_ACCESS_KEY_SECRET"] = Self.stsKey.secret
        helper.environment["ALIBABA_CLOUD_SECURITY_TOKEN"] = Self.stsKey.securityToken
        try expectAnswer(Self.personalHost, password: "token-personal-\(Self.stsKey.id)-1")
        #expect(stub.requests.map(\.key) == [Self.stsKey.id])

        // Without any session bus, the environment key still serves an ACR host…
        var busless = helper
        busless.environment["DBUS_SESSION_BUS_ADDRESS"] = nil
        busless.environment["XDG_RUNTIME_DIR"] = try makeTemporaryDirectory(prefix: "no-bus")
        let result = try busless.run("get", Self.personalHost)
        #expect(result.status == 0 && result.stdoutText.contains("token-personal-\(Self.stsKey.id)-2"))
        // …and never a host that is not ACR's: there the keyring's answer is needed.
        #expect(try busless.run("get", "other.example.com").stdoutText.contains("no D-Bus session bus"))
    }

    @Test func theDefaultKeyServesEveryACRHostWithoutAKeyOfItsOwn() throws {
        try helper.writeItemIndependently(
            label: "Alibaba Cloud AccessKey for all ACR registries",
            attributes: ["kind": "access-key", "server": "*", "access_key_id": Self.personalKey.id],
            secret: #"{"access_key_id":"\#(Self.personalKey.id)","access_key_secret":"\#(Self.personalKey.secret)"}"#)
        try expectAnswer(Self.personalHost, password: "token-personal-\(Self.personalKey.id)-1")
        try expectAnswer(
            "crpi-abc123.cn-hangzhou.personal.cr.aliyuncs.com", password: "token-crpi-abc123-\(Self.personalKey.id)-2")
        // Never listed, never used for other hosts.
        #expect(try helper.run("list").stdoutText == "{}\n")
        #expect(try helper.run("get", "other.example.com").stdoutText == "credentials not found in native keychain\n")
    }

    @Test func aStaticLoginForAnACRHostIsAnsweredAsStoredAndAHostKeyWinsOverIt() throws {
        _ = try helper.run("store", HelperBinary.storeRequest(Self.personalHost, "fixed-user", "fixed-password"))
        #expect(
            try helper.run("get", Self.personalHost).stdoutText
                == #"{"ServerURL":"\#(Self.personalHost)","Username":"fixed-user","Secret":"fixed-password"}"# + "\n")
        #expect(stub.requests.isEmpty)
        try storeKey(Self.personalKey, for: Self.personalHost)
        try expectAnswer(Self.personalHost, password: "token-personal-\(Self.personalKey.id)-1")
    }

    @Test func anACRHostWithNoKeyAnywhereIsExactlyNotFoundWithTheFixOnStderr() throws {
        let result = try helper.run("get", Self.personalHost)
        #expect(result.status == 1)
        #expect(result.stdoutText == "credentials not found in native keychain\n")
        #expect(result.stderrText.contains("docker-credential-acr-helper add-key --server \(Self.personalHost)"))
        #expect(result.stderrText.contains("docker-credential-acr-helper import-keys"))
        #expect(stub.requests.isEmpty)
        let other = try helper.run("get", "registry.cn-hangzhou.aliyuncs.com.evil.example")
        #expect(other.stdoutText == "credentials not found in native keychain\n" && other.stderrText.isEmpty)
    }

    @Test func aKeyStoredForAHostThatIsNotACRsSaysHowToNameIt() throws {
        try storeKey(Self.personalKey, for: "registry.example.org")
        let result = try helper.run("get", "registry.example.org")
        #expect(result.status == 1)
        #expect(
            result.stdoutText.contains(
                "registry.example.org has an AccessKey (LTAI****0001) but is not an ACR registry"))
    }

    struct Refusal: Sendable, CustomTestStringConvertible {
        let name: String
        let host: String
        let key: ACRAPIStub.Key
        let stubKey: ACRAPIStub.Key?
        let clockSkew: Int
        let expected: [String]
        /// What the hint on stderr names, where the fix is one of the helper's commands.
        var hinted: [String] = []
        var testDescription: String { name }
    }

    static let refusals: [Refusal] = [
        Refusal(
            name: "unknown key", host: personalHost, key: ACRAPIStub.Key(id: "LTAI5tUnknownKey00001", secret: "x"),
            stubKey: nil, clockSkew: 0,
            expected: [
                "InvalidAccessKeyId.NotFound", "LTAI****0001", "cannot get a registry password for \(personalHost)",
            ], hinted: ["docker-credential-acr-helper add-key"]),
        Refusal(
            name: "wrong secret", host: personalHost,
            key: ACRAPIStub.Key(id: personalKey.id, secret: "WrongSecret0123456789abcdefgh"), stubKey: personalKey,
            clockSkew: 0, expected: ["SignatureDoesNotMatch", "the secret stored for AccessKey LTAI****0001 is wrong"],
            hinted: ["docker-credential-acr-helper add-key"]),
        Refusal(
            name: "Personal Edition never set up", host: personalHost, key: personalKey,
            stubKey: ACRAPIStub.Key(id: personalKey.id, secret: personalKey.secret, refuse: "USER_NOT_EXIST"),
            clockSkew: 0, expected: ["USER_NOT_EXIST", "set a registry password once"]),
        Refusal(
            name: "no permission to list instances", host: "myee-registry.cn-hangzhou.cr.aliyuncs.com",
            key: enterpriseKey,
            stubKey: ACRAPIStub.Key(id: enterpriseKey.id, secret: enterpriseKey.secret, refuse: "Forbidden.RAM"),
            clockSkew: 0,
            expected: ["Forbidden.RAM", "lacks the RAM permission cr:ListInstance", "pin the instance ID"]),
        Refusal(
            name: "clock 20 minutes off", host: personalHost, key: personalKey, stubKey: personalKey,
            clockSkew: 20 * 60, expected: ["InvalidTimeStamp.Expired", "clock is more than 15 minutes off"]),
        Refusal(
            name: "instance that does not exist", host: "crpi-gone99.cn-hangzhou.personal.cr.aliyuncs.com",
            key: personalKey, stubKey: personalKey, clockSkew: 0,
            expected: ["INSTANCE_NOT_EXIST", "(instance crpi-gone99)"]),
        Refusal(
            name: "no Enterprise instance of that name", host: "nosuch-registry.cn-hangzhou.cr.aliyuncs.com",
            key: enterpriseKey, stubKey: enterpriseKey, clockSkew: 0,
            expected: ["no Enterprise instance named nosuch in cn-hangzhou is visible to LTAI****ey01"]),
    ]

    @Test(arguments: refusals)
    func eachRefusalIsOneLineNamingTheHostTheCodeAndTheFix(_ refusal: Refusal) throws {
        try stub.reconfigure(keys: refusal.stubKey.map { [$0] } ?? [], clockSkew: refusal.clockSkew)
        try storeKey(refusal.key, for: refusal.host)
        helper.environment["DOCKER_CREDENTIAL_ACR_HELPER_LOG_LEVEL"] = "debug"
        let result = try helper.run("get", refusal.host)
        #expect(result.status == 1)
        #expect(result.stdoutText.filter { $0 == "\n" }.count == 1)
        for text in refusal.expected {
            #expect(result.stdoutText.contains(text), "\(result.stdoutText)")
        }
        for text in refusal.hinted {
            #expect(result.stderrText.contains(text), "\(result.stderrText)")
        }
        let everything = result.stdoutText + result.stderrText
        #expect(!everything.contains(refusal.key.secret))
        #expect(!everything.contains("Signature=") && !everything.contains("token-"))
        // A refusal is final: one request, never retried.
        #expect(stub.requests.count == 1)
    }

    @Test func theSecretNeverReachesOutputLogsOrFiles() throws {
        helper.environment["DOCKER_CREDENTIAL_ACR_HELPER_LOG_LEVEL"] = "debug"
        try storeKey(Self.personalKey, for: Self.personalHost)
        let results = try [
            helper.run("get", Self.personalHost), helper.run("list"), helper.run("get", "other.example.com"),
            helper.run("erase", Self.personalHost),
        ]
        for result in results {
            #expect(!(result.stdoutText + result.stderrText).contains(Self.personalKey.secret))
        }
        #expect(results[0].stderrText.contains("minting a registry password"))
        // Nothing under HOME, the config folder or the runtime folder holds it; the keyring's own
        // file is encrypted.
        for folder in [helper.environment["HOME"], configHome, helper.environment["XDG_RUNTIME_DIR"]].compactMap({ $0 })
        {
            #expect(try !folderContains(folder, Self.personalKey.secret), "\(folder)")
        }
    }

    func folderContains(_ folder: String, _ text: String) throws -> Bool {
        guard let walker = FileManager.default.enumerator(atPath: folder) else { return false }
        for case let path as String in walker {
            let full = folder + "/" + path
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: full, isDirectory: &isDirectory), !isDirectory.boolValue,
                let data = FileManager.default.contents(atPath: full)
            else { continue }
            if data.range(of: Data(text.utf8)) != nil { return true }
        }
        return false
    }
}
