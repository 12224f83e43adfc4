import Foundation
import TestSupport
import Testing

@testable import ACR

/// The credential-file readers and the secret remover agree on every file.
@Suite struct CredentialFilesTests {
    static let note = "moved to the keyring"
    func profile(_ text: String, _ format: CredentialFiles.Format) throws -> CredentialFiles.Profile? {
        let path = try makeTemporaryDirectory(prefix: "credentials") + "/file"
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return try CredentialFiles.profile(at: path, format: format, named: nil, environment: [:])
    }

    /// Found by fuzzing: a vertical tab made the reader see a secret line the remover did not.
    @Test func aSecretTheReaderSeesIsOneTheRemoverRemoves() throws {
        let text = "[default]\naccess_key_id = LTAI5tAbCdEfGhIj\u{0B}access_key_secret = s3cret\n"
        let found = try profile(text, .credentialsFile)
        if let found, found.key != nil {
            let without = String(
                decoding: try CredentialFiles.withoutSecret(Array(text.utf8), of: found, note: Self.note), as: UTF8.self
            )
            #expect(try profile(without, .credentialsFile)?.key == nil)
        }
    }

    @Test func carriageReturnLineEndsAreReadAndKept() throws {
        let text = "[default]\r\naccess_key_id = LTAI5tAbCdEfGhIj\r\naccess_key_secret = s3cret\r\n[other]\r\n"
        let found = try #require(try profile(text, .credentialsFile))
        #expect(found.key == AccessKey(id: "LTAI5tAbCdEfGhIj", secret: "s3cret"))
        let without = String(
            decoding: try CredentialFiles.withoutSecret(Array(text.utf8), of: found, note: Self.note), as: UTF8.self)
        #expect(
            without
                == text.replacingOccurrences(
                    of: "access_key_secret = s3cret\r\n",
                    with: "# access_key_secret: \(Self.note)\r\n"))
    }
}

/// Members named twice: readers take the last (as Go does), and what finds or removes a secret
/// takes every copy.
@Suite struct DuplicateMemberTests {
    static let cli = """
        {"current": "default", "profiles": [{"name": "default", "mode": "AK", "access_key_id": "LTAI5tDupKey00000001",
        "access_key_secret": "first-copy", "access_key_secret": "second-copy"}]}
        """

    func write(_ text: String) throws -> String {
        let path = try makeTemporaryDirectory(prefix: "duplicates") + "/config.json"
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test func theLastCopyIsReadAndEveryCopyIsRemoved() throws {
        let path = try write(Self.cli)
        let found = try #require(
            try CredentialFiles.profile(at: path, format: .aliyunCLI, named: nil, environment: [:]))
        #expect(found.key?.secret == "second-copy")
        let without = String(
            decoding: try CredentialFiles.withoutSecret(Array(Self.cli.utf8), of: found, note: "moved"), as: UTF8.self)
        #expect(!without.contains("first-copy") && !without.contains("second-copy"))
        #expect(without.components(separatedBy: #""access_key_secret": """#).count == 3)
    }

    @Test func aSecretInAnyCopyIsAPlaintextSecret() throws {
        let shadowed = Self.cli.replacingOccurrences(of: "\"second-copy\"", with: "\"\"")
        #expect(try CredentialFiles.profilesWithSecrets(at: write(shadowed), format: .aliyunCLI) == ["default"])
        let gone = shadowed.replacingOccurrences(of: "\"first-copy\"", with: "\"\"")
        #expect(try CredentialFiles.profilesWithSecrets(at: write(gone), format: .aliyunCLI).isEmpty)
    }

    @Test func settingAMemberNamedTwiceLeavesOneCopyHoldingTheNewValue() throws {
        var tree = try JSONTree.parse(
            Array(#"{"credHelpers": {"a": "x"}, "auths": {}, "credHelpers": {"b": "y"}}"#.utf8))
        #expect(tree["credHelpers"] == .object([("b", .string("y"))]))
        tree.set("credHelpers", .object([("b", .string("y")), ("c", .string("acr-helper"))]))
        #expect(tree.all("credHelpers") == [.object([("b", .string("y")), ("c", .string("acr-helper"))])])
        tree.set("credHelpers", nil)
        #expect(tree.all("credHelpers").isEmpty && tree["auths"] != nil)
    }
}
