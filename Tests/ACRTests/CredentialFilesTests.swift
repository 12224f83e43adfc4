import Foundation
import TestSupport
import Testing

@testable import ACR

/// The credential-file readers and the secret remover agree on every file.
@Suite struct CredentialFilesTests {
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
                decoding: try CredentialFiles.withoutSecret(Array(text.utf8), of: found), as: UTF8.self)
            #expect(try profile(without, .credentialsFile)?.key == nil)
        }
    }

    @Test func carriageReturnLineEndsAreReadAndKept() throws {
        let text = "[default]\r\naccess_key_id = LTAI5tAbCdEfGhIj\r\naccess_key_secret = s3cret\r\n[other]\r\n"
        let found = try #require(try profile(text, .credentialsFile))
        #expect(found.key == AccessKey(id: "LTAI5tAbCdEfGhIj", secret: "s3cret"))
        let without = String(decoding: try CredentialFiles.withoutSecret(Array(text.utf8), of: found), as: UTF8.self)
        #expect(
            without
                == text.replacingOccurrences(
                    of: "access_key_secret = s3cret\r\n",
                    with: "# access_key_secret: moved to the keyring by docker-credential-acr-helper import-keys\r\n"))
    }
}
