import Foundation
import TestSupport
import Testing

/// add-key, list-keys, remove-key and configure-docker through the built binary, with a private
/// keyring and real files.
@Suite final class AdminCommandTests: @unchecked Sendable {
    static let id = "LTAI5tAdminKey000001"
    static let secret = "AdminSecret0123456789abcdefgh"

    var helper: HelperBinary

    init() throws { helper = try HelperBinary(keyring: PrivateKeyring()) }

    func run(_ arguments: [String], input: String = "") throws -> ProcessResult {
        try runProcess(PackagePaths.helper, arguments, input: Data(input.utf8), environment: helper.environment)
    }

    @Test func addKeyReadsThePipedSecretAndStoresTheKeyWithItsRole() throws {
        let added = try run(
            [
                "add-key", "--access-key-id", Self.id, "--server", "https://registry.cn-hangzhou.aliyuncs.com/",
                "--role-arn", "acs:ram::1234567890123456:role/puller", "--role-session-name", "ci-puller",
            ], input: Self.secret + "\n")
        #expect(added.status == 0, "\(added.stderrText)")
        #expect(
            added.stdoutText
                == "stored AccessKey LTAI****0001 for registry.cn-hangzhou.aliyuncs.com, assuming acs:ram::1234567890123456:role/puller\n"
        )
        let item = try #require(try helper.independentlyStoredItems().first)
        #expect(
            item["attribute.kind"] == "access-key" && item["attribute.server"] == "registry.cn-hangzhou.aliyuncs.com")
        #expect(
            item["secret"]
                == #"{"access_key_id":"LTAI5tAdminKey000001","access_key_secret":"AdminSecret0123456789abcdefgh","role_arn":"acs:ram::1234567890123456:role/puller","role_session_name":"ci-puller"}"#
        )
        let listed = try run(["list-keys"])
        #expect(
            listed.stdoutText
                == "LTAI****0001  registry.cn-hangzhou.aliyuncs.com  role acs:ram::1234567890123456:role/puller\n")
        for result in [added, listed] { #expect(!(result.stdoutText + result.stderrText).contains(Self.secret)) }
    }

    @Test func addKeyAsksForTheSecretWithoutEchoingIt() throws {
        // script(1) gives add-key a terminal; the secret is typed a moment later, once echo is off.
        let command = "\(PackagePaths.helper) add-key --access-key-id \(Self.id)"
        let result = try runProcess(
            "/bin/sh", ["-c", "(sleep 1; printf '%s\\n' \(Self.secret)) | script -qec '\(command)' /dev/null"],
            environment: helper.environment)
        #expect(result.stdoutText.contains("AccessKey secret (not shown): "))
        #expect(result.stdoutText.contains("stored AccessKey LTAI****0001 for all ACR registries"))
        #expect(!result.stdoutText.contains(Self.secret), "the secret was echoed: \(result.stdoutText)")
        let item = try #require(try helper.independentlyStoredItems().first)
        #expect(item["attribute.server"] == "*" && item["secret"]?.contains(Self.secret) == true)
    }

    @Test func addKeyRefusesBadInputAndStoresNothing() throws {
        let cases: [(arguments: [String], input: String, status: Int32, says: String)] = [
            (
                ["add-key", "--access-key-id", "alice"], Self.secret, 64,
                "--access-key-id must look like an AccessKey ID"
            ),
            (["add-key", "--access-key-id", Self.id], "", 1, "no AccessKey secret was given"),
            (
                ["add-key", "--access-key-id", Self.id], "has spaces in it\n", 1,
                "does not look like an AccessKey secret"
            ),
            (["add-key"], Self.secret, 64, "give --access-key-id when the secret comes from standard input"),
            (
                ["add-key", "--access-key-id", Self.id, "--role-arn", "puller"], Self.secret, 64,
                "--role-arn must look like"
            ),
            (["add-key", "--access-key-id", Self.id, "--external-id", "x"], Self.secret, 64, "go with --role-arn"),
            (["add-key", "--access-key-id", Self.id, "--online"], Self.secret, 64, "--online needs --server"),
            (
                ["add-key", "--access-key-id", Self.id, "--server", "a b"], Self.secret, 1,
                "invalid registry server URL"
            ),
        ]
        for test in cases {
            let result = try run(test.arguments, input: test.input)
            #expect(result.status == test.status, "\(test.arguments): \(result.stderrText)")
            #expect(result.stderrText.contains(test.says), "\(test.arguments): \(result.stderrText)")
            #expect(!(result.stdoutText + result.stderrText).contains(Self.secret))
        }
        #expect(try helper.independentlyStoredItems().isEmpty)
    }

    @Test func addKeyOnlineTriesTheKeyFirst() throws {
        let stub = try ACRAPIStub(keys: [ACRAPIStub.Key(id: Self.id, secret: Self.secret)])
        helper.environment["DOCKER_CREDENTIAL_ACR_HELPER_CR_ENDPOINT"] = stub.endpoint
        let host = "registry.cn-hangzhou.aliyuncs.com"
        let wrong = try run(
            ["add-key", "--access-key-id", Self.id, "--server", host, "--online"], input: "WrongSecret0123456789\n")
        #expect(wrong.status == 1 && wrong.stderrText.contains("SignatureDoesNotMatch"))
        #expect(try helper.independentlyStoredItems().isEmpty)
        let right = try run(["add-key", "--access-key-id", Self.id, "--server", host, "--online"], input: Self.secret)
        #expect(right.status == 0, "\(right.stderrText)")
        #expect(stub.requests.map(\.status) == [400, 200])
    }

    @Test func removeKeyDropsTheKeyAndThePasswordsItMinted() throws {
        let stub = try ACRAPIStub(keys: [ACRAPIStub.Key(id: Self.id, secret: Self.secret)])
        helper.environment["DOCKER_CREDENTIAL_ACR_HELPER_CR_ENDPOINT"] = stub.endpoint
        #expect(try run(["add-key", "--access-key-id", Self.id], input: Self.secret).status == 0)
        #expect(try helper.run("get", "registry.cn-hangzhou.aliyuncs.com").status == 0)
        #expect(try helper.independentlyStoredItems().count == 2)
        let removed = try run(["remove-key", "--default"])
        #expect(
            removed.stdoutText == "removed AccessKey LTAI****0001 for all ACR registries, and the passwords it minted\n"
        )
        #expect(try helper.independentlyStoredItems().isEmpty)
        let again = try run(["remove-key", "--default"])
        #expect(again.status == 1 && again.stderrText.contains("no AccessKey is stored for all ACR registries"))
        #expect(try run(["remove-key"]).status == 64)
        #expect(try run(["list-keys"]).stdoutText.hasPrefix("no AccessKeys stored"))
    }

    // MARK: configure-docker

    func dockerConfigFolder() throws -> String {
        let folder = try makeTemporaryDirectory(prefix: "docker-config")
        helper.environment["DOCKER_CONFIG"] = folder
        return folder
    }

    @Test func configureDockerAddsEntriesAndKeepsEverythingElse() throws {
        let folder = try dockerConfigFolder()
        let original = """
            {
              "auths": {"other.example.com": {"auth": "b3RoZXI6cGFzcw=="}},
              "credHelpers": {"gcr.io": "gcloud"},
              "psFormat": "table {{.ID}}",
              "number": 1.50
            }
            """
        try Data(original.utf8).write(to: URL(fileURLWithPath: folder + "/config.json"))
        let result = try run(["configure-docker", "--region", "cn-hangzhou"])
        #expect(result.status == 0, "\(result.stderrText)")
        let written = try String(contentsOfFile: folder + "/config.json", encoding: .utf8)
        #expect(
            written == """
                {
                \t"auths": {
                \t\t"other.example.com": {
                \t\t\t"auth": "b3RoZXI6cGFzcw=="
                \t\t}
                \t},
                \t"credHelpers": {
                \t\t"gcr.io": "gcloud",
                \t\t"registry.cn-hangzhou.aliyuncs.com": "acr-helper",
                \t\t"registry-vpc.cn-hangzhou.aliyuncs.com": "acr-helper",
                \t\t"registry-intl.cn-hangzhou.aliyuncs.com": "acr-helper"
                \t},
                \t"psFormat": "table {{.ID}}",
                \t"number": 1.50
                }

                """)
        let mode = try FileManager.default.attributesOfItem(atPath: folder + "/config.json")[.posixPermissions]
        #expect(mode as? Int == 0o600)
        // Idempotent: a second run writes nothing.
        let inode = try FileManager.default.attributesOfItem(atPath: folder + "/config.json")[.systemFileNumber]
        let again = try run(["configure-docker", "--region", "cn-hangzhou"])
        #expect(again.status == 0 && !again.stdoutText.contains("wrote"))
        #expect(
            try FileManager.default.attributesOfItem(atPath: folder + "/config.json")[.systemFileNumber] as? Int
                == inode as? Int)
    }

    @Test func configureDockerCreatesTheFileAndFollowsALink() throws {
        let folder = try dockerConfigFolder()
        let created = try run(["configure-docker", "--registries", "myee-registry.cn-hangzhou.cr.aliyuncs.com"])
        #expect(created.status == 0)
        #expect(
            try String(contentsOfFile: folder + "/config.json", encoding: .utf8)
                == "{\n\t\"credHelpers\": {\n\t\t\"myee-registry.cn-hangzhou.cr.aliyuncs.com\": \"acr-helper\"\n\t}\n}\n"
        )
        // A config that is a link (dotfiles managers) is edited where it points, the link kept.
        let real = folder + "/real-config.json"
        try FileManager.default.moveItem(atPath: folder + "/config.json", toPath: real)
        try FileManager.default.createSymbolicLink(atPath: folder + "/config.json", withDestinationPath: real)
        #expect(try run(["configure-docker", "--registries", "a.example.com"]).status == 0)
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: folder + "/config.json") == real)
        #expect(try String(contentsOfFile: real, encoding: .utf8).contains("\"a.example.com\": \"acr-helper\""))
    }

    @Test func configureDockerLeavesAFileItCannotReadAlone() throws {
        let folder = try dockerConfigFolder()
        try Data("{\"auths\": ".utf8).write(to: URL(fileURLWithPath: folder + "/config.json"))
        let result = try run(["configure-docker", "--region", "cn-hangzhou"])
        #expect(result.status == 1 && result.stderrText.contains("is not JSON at byte"))
        #expect(try String(contentsOfFile: folder + "/config.json", encoding: .utf8) == "{\"auths\": ")
        #expect(try run(["configure-docker"]).status == 64)
        #expect(try run(["configure-docker", "--region", "hangzhou"]).status == 64)
    }

    @Test func configureDockerWarnsWhenDockerCannotFindTheHelper() throws {
        _ = try dockerConfigFolder()
        helper.environment["PATH"] = "/usr/bin:/bin"
        let result = try run(["configure-docker", "--region", "cn-hangzhou"])
        #expect(result.status == 0 && result.stderrText.contains("it is not there"))
        helper.environment["PATH"] =
            URL(fileURLWithPath: PackagePaths.helper).deletingLastPathComponent().path + ":/usr/bin"
        #expect(try !run(["configure-docker", "--region", "cn-hangzhou"]).stderrText.contains("it is not there"))
    }
}
