import Foundation
import TestSupport
import Testing

/// The example package (`Examples/acr-credentials`, built by the test command) asks the library
/// for credentials in-process: the same sources, cache and errors as the binary.
@Suite struct LibraryExampleTests {
    static let key = ACRAPIStub.Key(id: "LTAI5tLibraryKey00001", secret: "LibrarySecret0123456789abcdef")
    static let example = PackagePaths.root + "/Examples/acr-credentials/.build/debug/acr-credentials"

    @Test func theExampleMintsWithTheHelpersKeyAndShowsNoPassword() throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.example), "build it: make test")
        let stub = try ACRAPIStub(keys: [Self.key])
        var helper = try HelperBinary(keyring: PrivateKeyring())
        helper.environment["DOCKER_CREDENTIAL_ACR_HELPER_CR_ENDPOINT"] = stub.endpoint
        let host = "registry.cn-hangzhou.aliyuncs.com"
        #expect(try helper.run("store", HelperBinary.storeRequest(host, Self.key.id, Self.key.secret)).status == 0)

        let first = try runProcess(Self.example, [host], environment: helper.environment)
        #expect(first.status == 0, "\(first.stdoutText)\(first.stderrText)")
        #expect(first.stdoutText.hasPrefix("\(host): cr_temp_user, until "))
        #expect(!first.stdoutText.contains("token-"))
        // The password it minted was cached in the keyring: the binary answers it without a request.
        #expect(try helper.run("get", host).stdoutText.contains("token-personal-\(Self.key.id)-1"))
        #expect(stub.requests.count == 1)

        let missing = try runProcess(
            Self.example, ["registry.cn-beijing.aliyuncs.com.example"], environment: helper.environment)
        #expect(missing.status == 1 && missing.stdoutText.contains("credentials not found in native keychain"))
    }
}
