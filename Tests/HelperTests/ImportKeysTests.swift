import Foundation
import TestSupport
import Testing

/// import-keys with real files in a temporary HOME, read back from the keyring by secret-tool.
@Suite final class ImportKeysTests: @unchecked Sendable {
    static let id = "LTAI5tImportKey00001"
    static let secret = "ImportSecret0123456789abcdefg"

    let keyring: PrivateKeyring
    var helper: HelperBinary
    let home: String

    init() throws {
        keyring = try PrivateKeyring()
        helper = try HelperBinary(keyring: keyring)
        home = helper.environment["HOME"]!
    }

    func write(_ relativePath: String, _ text: String, mode: Int = 0o600) throws -> String {
        let path = home + "/" + relativePath
        try FileManager.default.createDirectory(
            atPath: URL(fileURLWithPath: path).deletingLastPathComponent().path, withIntermediateDirectories: true)
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
        return path
    }

    func importKeys(_ arguments: [String]) throws -> ProcessResult {
        try runProcess(PackagePaths.helper, ["import-keys"] + arguments, environment: helper.environment)
    }

    func storedSecret() throws -> String? {
        try helper.independentlyStoredItems().first { $0["attribute.kind"] == "access-key" }?["secret"]
    }

    static let ini = """
        # my Alibaba Cloud keys
        [default]
        type = access_key                  # the usual kind
        access_key_id = \(id)
        access_key_secret = \(secret)   # keep this safe

        [ecs]
        type = ecs_ram_role
        role_name = node-role

        [ci]
        type = access_key
        access_key_id = LTAI5tOtherKey000001
        access_key_secret = OtherSecret0123456789abcdef
        """

    @Test func theCredentialsFileWithDeleteSourceKeepsEveryOtherByte() throws {
        let path = try write(".alibabacloud/credentials", Self.ini, mode: 0o640)
        let result = try importKeys(["--delete-source"])
        #expect(result.status == 0, "\(result.stderrText)")
        #expect(
            result.stdoutText == """
                imported AccessKey LTAI****0001 from profile default of \(path) for all ACR registries
                removed its secret from \(path); the key now lives only in the keyring

                """)
        #expect(result.stderrText.contains("other tools reading that profile (aliyun CLI, SDKs, Terraform)"))
        #expect(try storedSecret() == #"{"access_key_id":"\#(Self.id)","access_key_secret":"\#(Self.secret)"}"#)
        let expected = Self.ini.replacingOccurrences(
            of: "access_key_secret = \(Self.secret)   # keep this safe",
            with: "# access_key_secret: moved to the keyring by docker-credential-acr-helper import-keys")
        #expect(try String(contentsOfFile: path, encoding: .utf8) == expected)
        #expect(try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int == 0o640)
        #expect(!(result.stdoutText + result.stderrText).contains(Self.secret))
        // Imported once, the profile has nothing left to import.
        let again = try importKeys(["--from", "credentials-file"])
        #expect(again.status == 1 && again.stderrText.contains("holds no AccessKey secret (moved to the keyring?)"))
    }

    @Test func profilesTypesAndTheirRefusals() throws {
        let path = try write(
            "keys.ini",
            Self.ini + """

                [temporary]
                type = sts
                access_key_id = LTAI5tStsKey00000001
                access_key_secret = StsSecret
                security_token = CAIS-token
                [role]
                type = ram_role_arn
                access_key_id = LTAI5tRoleKey0000001
                access_key_secret = RoleSecret
                role_arn = acs:ram::1234567890:role/puller
                role_session_name = me
                """)
        let sts = try importKeys(["--from", path, "--profile", "temporary"])
        #expect(sts.status == 0)
        #expect(try storedSecret()?.contains(#""security_token":"CAIS-token""#) == true)
        let role = try importKeys([
            "--from", path, "--profile", "role", "--server", "registry.cn-hangzhou.aliyuncs.com",
        ])
        #expect(
            role.stdoutText.contains("for registry.cn-hangzhou.aliyuncs.com, assuming acs:ram::1234567890:role/puller"))
        let ecs = try importKeys(["--from", path, "--profile", "ecs"])
        #expect(
            ecs.status == 1 && ecs.stderrText.contains("is of type ecs_ram_role, which holds no AccessKey to import"))
        let missing = try importKeys(["--from", path, "--profile", "nope"])
        #expect(missing.status == 1 && missing.stderrText.contains("has no profile [nope]"))
        #expect(try importKeys(["--from", "env", "--delete-source"]).status == 64)
    }

    static let cliConfig = """
        {
          "current": "work",
          "profiles": [
            {
              "name": "work",
              "mode": "AK",
              "access_key_id": "\(id)",
              "access_key_secret": "\(secret)",
              "region_id": "cn-hangzhou"
            },
            {
              "name": "chained",
              "mode": "ChainableRamRoleArn",
              "source_profile": "work",
              "ram_role_arn": "acs:ram::1234567890:role/puller",
              "ram_session_name": "chained"
            },
            { "name": "node", "mode": "EcsRamRole", "ram_role_name": "node-role" }
          ],
          "meta_path": ""
        }

        """

    @Test func theAliyunCLIConfigWithDeleteSourceEmptiesOnlyTheSecret() throws {
        let path = try write(".aliyun/config.json", Self.cliConfig)
        let result = try importKeys(["--from", "aliyun-cli", "--delete-source"])
        #expect(result.status == 0, "\(result.stderrText)")
        #expect(result.stdoutText.hasPrefix("imported AccessKey LTAI****0001 from profile work of \(path)"))
        #expect(
            try String(contentsOfFile: path, encoding: .utf8)
                == Self.cliConfig.replacingOccurrences(of: "\"\(Self.secret)\"", with: "\"\""))
        #expect(try storedSecret()?.contains(Self.secret) == true)
    }

    @Test func aChainedProfileTakesItsSourcesKeyAndItsOwnRole() throws {
        let path = try write(".aliyun/config.json", Self.cliConfig)
        let result = try importKeys(["--from", "aliyun-cli", "--profile", "chained", "--delete-source"])
        #expect(result.status == 0, "\(result.stderrText)")
        #expect(result.stdoutText.contains("assuming acs:ram::1234567890:role/puller"))
        #expect(try storedSecret()?.contains(#""role_session_name":"chained""#) == true)
        // The secret was the source profile's: that is where it is removed.
        #expect(
            try String(contentsOfFile: path, encoding: .utf8)
                == Self.cliConfig.replacingOccurrences(of: "\"\(Self.secret)\"", with: "\"\""))
        let node = try importKeys(["--from", "aliyun-cli", "--profile", "node"])
        #expect(
            node.status == 1 && node.stderrText.contains("is in mode EcsRamRole, which holds no AccessKey to import"))
    }

    @Test func autoPrefersTheEnvironmentThenTheCLIThenTheCredentialsFile() throws {
        _ = try write(".alibabacloud/credentials", Self.ini)
        #expect(try importKeys([]).stdoutText.contains("from profile default of \(home)/.alibabacloud/credentials"))
        _ = try write(".aliyun/config.json", Self.cliConfig)
        #expect(try importKeys([]).stdoutText.contains("from profile work of \(home)/.aliyun/config.json"))
        helper.environment["ALIBABA_CLOUD_ACCESS_KEY_ID"] = "LTAI5tEnvironmentKey1"
        helper.environment["ALIBABA_CLOUD_ACCESS_KEY_SECRET"] = "EnvSecret"
        #expect(try importKeys([]).stdoutText.contains("imported AccessKey LTAI****Key1 from the environment"))
        helper.environment["ALIBABA_CLOUD_ACCESS_KEY_ID"] = nil
        helper.environment["ALIBABA_CLOUD_PROFILE"] = "ci"
        helper.environment["HOME"] = home
        try FileManager.default.removeItem(atPath: home + "/.aliyun/config.json")
        #expect(try importKeys([]).stdoutText.contains("LTAI****0001 from profile ci of"))
    }

    @Test func aFileBehindALinkIsRewrittenWhereItLives() throws {
        let real = try write("dotfiles/credentials", Self.ini)
        try FileManager.default.createDirectory(atPath: home + "/.alibabacloud", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(
            atPath: home + "/.alibabacloud/credentials", withDestinationPath: real)
        #expect(try importKeys(["--delete-source"]).status == 0)
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: home + "/.alibabacloud/credentials") == real)
        #expect(try !String(contentsOfFile: real, encoding: .utf8).contains(Self.secret))
    }

    @Test func whenTheKeyringFailsTheFileIsUntouched() throws {
        let path = try write(".alibabacloud/credentials", Self.ini)
        try keyring.lock()
        let result = try importKeys(["--delete-source"])
        #expect(result.status == 1 && result.stderrText.contains("is locked"))
        #expect(try String(contentsOfFile: path, encoding: .utf8) == Self.ini)
    }
}
