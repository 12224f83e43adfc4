import Foundation
import TestSupport
import Testing

/// Every credential source beyond the keyring's own keys, through the built helper and the stub,
/// which serves STS, the ECS metadata service and a credentials URI and checks every signature.
@Suite final class CredentialSourceTests: @unchecked Sendable {
    static let key = ACRAPIStub.Key(id: "LTAI5tSourceKey00001", secret: "SourceSecret0123456789abcdef")
    static let role = "acs:ram::1234567890123456:role/puller"
    static let provider = "acs:ram::1234567890123456:oidc-provider/ack-rrsa"
    static let oidcToken = "eyJhbGciOiJSUzI1NiJ9.pod-token.signature"
    static let host = "registry.cn-hangzhou.aliyuncs.com"

    let stub: ACRAPIStub
    let keyring: PrivateKeyring
    var helper: HelperBinary

    init() throws {
        var configuration = ACRAPIStub.Configuration(keys: [Self.key])
        configuration.roles = [
            Self.role: ACRAPIStub.Role(
                trustedKeys: [Self.key.id], oidcProvider: Self.provider, oidcToken: Self.oidcToken)
        ]
        configuration.ecsRoles = ["node-role"]
        configuration.credentialsURI = true
        configuration.stsLifetime = 900
        stub = try ACRAPIStub(configuration)
        keyring = try PrivateKeyring()
        helper = try HelperBinary(keyring: keyring)
        for name in ["CR_ENDPOINT", "STS_ENDPOINT", "ECS_METADATA_ENDPOINT"] {
            helper.environment["DOCKER_CREDENTIAL_ACR_HELPER_" + name] = stub.endpoint
        }
    }

    func get(_ host: String = host, sourceLocation: SourceLocation = #_sourceLocation) throws -> ProcessResult {
        let result = try helper.run("get", host)
        #expect(result.status == 0, "\(result.stdoutText)\(result.stderrText)", sourceLocation: sourceLocation)
        return result
    }

    /// The STS credentials the stub issued sign the token call: its key starts with `STS.`.
    func expectMintedWithSTS(after first: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let requests = stub.requests
        #expect(requests.map(\.action) == [first, "GetAuthorizationToken"], sourceLocation: sourceLocation)
        #expect(requests.last?.key?.hasPrefix("STS.NStub") == true, sourceLocation: sourceLocation)
        #expect(requests.allSatisfy { $0.status == 200 }, "\(requests)", sourceLocation: sourceLocation)
    }

    @Test func aKeyWithARoleAssumesItOncePerPasswordLifetime() throws {
        let added = try runProcess(
            PackagePaths.helper,
            ["add-key", "--access-key-id", Self.key.id, "--role-arn", Self.role, "--role-session-name", "ci"],
            input: Data(Self.key.secret.utf8), environment: helper.environment)
        #expect(added.status == 0, "\(added.stderrText)")
        let first = try get()
        let second = try get()
        #expect(first.stdoutText == second.stdoutText)
        expectMintedWithSTS(after: "AssumeRole")
        #expect(stub.requests.first?.key == Self.key.id)
        #expect(stub.requests.first?.query["RoleSessionName"] == "ci")
        // The password is cached for the role, and no longer than the role's 15-minute session.
        let token = try #require(try helper.independentlyStoredItems().first { $0["attribute.kind"] == "token" })
        #expect(token["attribute.minted_by"] == Self.role)
        let secret = try #require(token["secret"])
        let expires = try #require(
            (try JSONSerialization.jsonObject(with: Data(secret.utf8)) as? [String: Any])?["expires_at"] as? Int)
        #expect(expires <= Int(Date().timeIntervalSince1970) + 900)
    }

    @Test func aRoleTheKeyMayNotAssumeIsSaidSo() throws {
        _ = try runProcess(
            PackagePaths.helper,
            ["add-key", "--access-key-id", Self.key.id, "--role-arn", "acs:ram::1234567890123456:role/admin"],
            input: Data(Self.key.secret.utf8), environment: helper.environment)
        let result = try helper.run("get", Self.host)
        #expect(result.status == 1)
        #expect(result.stdoutText.contains("cannot assume the RAM role acs:ram::1234567890123456:role/admin"))
        #expect(result.stdoutText.contains("EntityNotExist.Role"))
    }

    @Test func oidcTradesTheTokenFileReadAfreshEachTime() throws {
        let tokenFile = try makeTemporaryDirectory(prefix: "oidc") + "/token"
        try Data((Self.oidcToken + "\n").utf8).write(to: URL(fileURLWithPath: tokenFile))
        helper.environment["ALIBABA_CLOUD_ROLE_ARN"] = Self.role
        helper.environment["ALIBABA_CLOUD_OIDC_PROVIDER_ARN"] = Self.provider
        helper.environment["ALIBABA_CLOUD_OIDC_TOKEN_FILE"] = tokenFile
        _ = try get()
        expectMintedWithSTS(after: "AssumeRoleWithOIDC")
        // A rotated (here: wrong) token is read on the next exchange.
        try Data("rotated-token".utf8).write(to: URL(fileURLWithPath: tokenFile))
        helper.environment["DOCKER_CREDENTIAL_ACR_HELPER_NO_CACHE"] = "1"
        let refused = try helper.run("get", Self.host)
        #expect(refused.status == 1 && refused.stdoutText.contains("InvalidParameter.OIDCToken"))
        #expect(!refused.stdoutText.contains("rotated-token"))
    }

    /// An RRSA pod's variables, with an STS endpoint outside Alibaba Cloud.
    func useOIDCWithAForeignSTSEndpoint() throws {
        let tokenFile = try makeTemporaryDirectory(prefix: "oidc") + "/token"
        try Data(Self.oidcToken.utf8).write(to: URL(fileURLWithPath: tokenFile))
        helper.environment["ALIBABA_CLOUD_ROLE_ARN"] = Self.role
        helper.environment["ALIBABA_CLOUD_OIDC_PROVIDER_ARN"] = Self.provider
        helper.environment["ALIBABA_CLOUD_OIDC_TOKEN_FILE"] = tokenFile
        helper.environment["DOCKER_CREDENTIAL_ACR_HELPER_STS_ENDPOINT"] = "https://sts.evil.example"
    }

    @Test func theOIDCTokenIsNeverSentOutsideAlibabaCloud() throws {
        try useOIDCWithAForeignSTSEndpoint()
        let result = try helper.run("get", Self.host)
        #expect(result.status == 1 && result.stdoutText.contains("only sent to *.aliyuncs.com"))
        #expect(stub.requests.isEmpty)
    }

    @Test func aGetRefusedJustBeforeMintingExitsWithItsErrorEveryTime() async throws {
        // The refusal comes after the keyring was read, right where a mint would begin: when the
        // helper started loading libraries on threads of its own there, exiting under them crashed
        // one run in 25 to 80. Many runs at once, each must say its one line.
        try useOIDCWithAForeignSTSEndpoint()
        let helper = self.helper
        let statuses = try await withThrowingTaskGroup(of: ProcessResult.self) { group in
            var results: [ProcessResult] = []
            for index in 0..<240 {
                if index >= 12, let result = try await group.next() { results.append(result) }
                group.addTask { try helper.run("get", Self.host) }
            }
            while let result = try await group.next() { results.append(result) }
            return results
        }
        #expect(statuses.count == 240)
        let unexpected = statuses.filter { $0.status != 1 || !$0.stdoutText.contains("only sent to *.aliyuncs.com") }
        #expect(
            unexpected.isEmpty,
            "\(unexpected.count) runs: \(unexpected.first.map { "\($0.status) \($0.stderrText)" } ?? "")")
    }

    @Test func thePlaintextFileServesWithAWarningToImportIt() throws {
        let home = helper.environment["HOME"]!
        try FileManager.default.createDirectory(atPath: home + "/.alibabacloud", withIntermediateDirectories: true)
        try Data("[default]\naccess_key_id = \(Self.key.id)\naccess_key_secret = \(Self.key.secret)\n".utf8)
            .write(to: URL(fileURLWithPath: home + "/.alibabacloud/credentials"))
        let result = try get()
        #expect(result.stderrText.contains("plaintext file \(home)/.alibabacloud/credentials"))
        #expect(result.stderrText.contains("import-keys --delete-source"))
        #expect(!result.stderrText.contains(Self.key.secret))
        #expect(stub.requests.map(\.key) == [Self.key.id])
        // Once imported with --delete-source, the keyring's key serves and the file is passed over.
        let imported = try runProcess(
            PackagePaths.helper, ["import-keys", "--delete-source"], environment: helper.environment)
        #expect(imported.status == 0)
        _ = try runProcess(PackagePaths.helper, ["clear-cache"], environment: helper.environment)
        #expect(try !get().stderrText.contains("plaintext file"))
    }

    @Test func theECSInstanceRoleOnlyWhenNamedIMDSv2First() throws {
        #expect(try helper.run("get", Self.host).stdoutText == "credentials not found in native keychain\n")
        #expect(stub.requests.isEmpty)
        helper.environment["ALIBABA_CLOUD_ECS_METADATA"] = "node-role"
        _ = try get()
        #expect(stub.requests.map(\.action) == ["IMDSToken", "IMDSCredentials", "GetAuthorizationToken"])
        #expect(stub.requests.last?.key?.hasPrefix("STS.NStub") == true)
    }

    @Test func theECSRoleStillServesWhenTheKeyringIsLocked() throws {
        try keyring.lock()
        #expect(try helper.run("get", Self.host).stdoutText.contains("is locked"))
        helper.environment["ALIBABA_CLOUD_ECS_METADATA"] = "node-role"
        _ = try get()
        #expect(try helper.run("get", "other.example.com").stdoutText.contains("is locked"))
    }

    @Test func aCredentialsURI() throws {
        helper.environment["ALIBABA_CLOUD_CREDENTIALS_URI"] = stub.endpoint + "/credentials-uri"
        _ = try get()
        expectMintedWithSTS(after: "CredentialsURI")
    }
}
