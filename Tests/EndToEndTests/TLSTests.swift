import Foundation
import TestSupport
import Testing

/// The API over real TLS: the stub serving HTTPS with a certificate from a certificate authority
/// made for it, and the helper trusting that authority only as the CA variables say.
@Suite final class TLSTests: @unchecked Sendable {
    static let key = ACRAPIStub.Key(id: "LTAI5tTLSKey000000001", secret: "TLSSecret0123456789abcdef")
    static let host = "registry.cn-hangzhou.aliyuncs.com"

    let stub: ACRAPIStub
    var helper: HelperBinary

    init() throws {
        var configuration = ACRAPIStub.Configuration(keys: [Self.key])
        configuration.tls = true
        stub = try ACRAPIStub(configuration)
        helper = try HelperBinary(keyring: PrivateKeyring())
        helper.environment["DOCKER_CREDENTIAL_ACR_HELPER_CR_ENDPOINT"] = stub.endpoint
        let stored = try helper.run("store", HelperBinary.storeRequest(Self.host, Self.key.id, Self.key.secret))
        #expect(stored.status == 0, "\(stored.stdoutText)")
    }

    /// A `get` that mints (the cache bypassed), with `variables` set for it alone.
    func coldGet(_ variables: [String: String]) throws -> ProcessResult {
        var once = helper
        once.environment.merge(variables) { $1 }
        once.environment["DOCKER_CREDENTIAL_ACR_HELPER_NO_CACHE"] = "1"
        return try once.run("get", Self.host)
    }

    @Test func anAuthorityInACertificateFolderIsTrusted() throws {
        let folder = try #require(stub.authorityFolder)
        let result = try coldGet(["SSL_CERT_DIR": folder])
        #expect(result.status == 0, "\(result.stdoutText)")
        #expect(result.stdoutText.contains("token-personal-\(Self.key.id)-1"))
        #expect(stub.endpoint.hasPrefix("https://") && stub.requests.count == 1)
    }

    @Test func anAuthorityInABundleFileIsTrusted() throws {
        let file = try #require(stub.authorityFile)
        for variable in ["SSL_CERT_FILE", "CURL_CA_BUNDLE"] {
            let result = try coldGet([variable: file])
            #expect(result.status == 0, "\(variable): \(result.stdoutText)")
        }
        #expect(stub.requests.count == 2)
    }

    @Test func anAuthorityNobodyTrustsIsRefusedBeforeAnyRequest() throws {
        let empty = try makeTemporaryDirectory(prefix: "no-authorities")
        // The system's folder, then libcurl's bundle; a named folder alone; a named bundle alone.
        for variables in [[:], ["SSL_CERT_DIR": empty], ["SSL_CERT_FILE": "/etc/ssl/certs/ca-certificates.crt"]] {
            let result = try coldGet(variables)
            #expect(result.status == 1, "\(variables)")
            #expect(
                result.stdoutText.contains("TLS verification failed")
                    && result.stdoutText.split(separator: "\n").count == 1,
                "\(variables): \(result.stdoutText)")
        }
        #expect(stub.requests.isEmpty)
    }
}
