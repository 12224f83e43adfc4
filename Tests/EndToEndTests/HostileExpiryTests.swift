import Foundation
import TestSupport
import Testing

/// An API answer whose expiry is no plausible time: refused in one line, never a crash, and
/// nothing cached that would crash every later `get`.
@Suite struct HostileExpiryTests {
    static let key = ACRAPIStub.Key(id: "LTAI5tExpiryKey00001", secret: "ExpirySecret0123456789abcdef")
    static let host = "registry.cn-hangzhou.aliyuncs.com"

    @Test(arguments: [1e300, -9.2e21, -1, 0, 1e13, 1.7976931348623157e308])
    func anImplausibleExpiryIsRefusedAndNotCached(_ expiry: Double) throws {
        var configuration = ACRAPIStub.Configuration(keys: [Self.key])
        configuration.expiryMilliseconds = expiry
        let stub = try ACRAPIStub(configuration)
        var helper = try HelperBinary(keyring: PrivateKeyring())
        helper.environment["DOCKER_CREDENTIAL_ACR_HELPER_CR_ENDPOINT"] = stub.endpoint
        #expect(try helper.run("store", HelperBinary.storeRequest(Self.host, Self.key.id, Self.key.secret)).status == 0)
        for _ in 0..<2 {
            let result = try helper.run("get", Self.host)
            #expect(result.status == 1, "\(result.stdoutText)")
            #expect(
                result.stdoutText.hasPrefix("cannot get a registry password for \(Self.host): ")
                    && result.stdoutText.contains("expiry"), "\(result.stdoutText)")
            #expect(result.stdoutText.filter { $0 == "\n" }.count == 1)
        }
        // Both gets asked the API: nothing was cached.
        #expect(stub.requests.count == 2)
        #expect(try helper.independentlyStoredItems().allSatisfy { $0["attribute.kind"] != "token" })
    }

    /// Past, or further ahead than any password lives: refused the same way.
    @Test(arguments: [-3600.0, 3 * 86400.0])
    func anExpiryInThePastOrDaysAheadIsRefused(_ fromNow: Double) throws {
        var configuration = ACRAPIStub.Configuration(keys: [Self.key])
        configuration.expiryMilliseconds = (Date().timeIntervalSince1970 + fromNow) * 1000
        let stub = try ACRAPIStub(configuration)
        var helper = try HelperBinary(keyring: PrivateKeyring())
        helper.environment["DOCKER_CREDENTIAL_ACR_HELPER_CR_ENDPOINT"] = stub.endpoint
        #expect(try helper.run("store", HelperBinary.storeRequest(Self.host, Self.key.id, Self.key.secret)).status == 0)
        let result = try helper.run("get", Self.host)
        #expect(result.status == 1)
        #expect(result.stdoutText.contains("whose expiry is not plausible"), "\(result.stdoutText)")
        #expect(try helper.independentlyStoredItems().allSatisfy { $0["attribute.kind"] != "token" })
    }

    /// A token item with times no clock has, written by another program: not a cached password;
    /// the get mints a new one instead of crashing.
    @Test func aCachedTokenWithImpossibleTimesIsIgnored() throws {
        let stub = try ACRAPIStub(keys: [Self.key])
        var helper = try HelperBinary(keyring: PrivateKeyring())
        helper.environment["DOCKER_CREDENTIAL_ACR_HELPER_CR_ENDPOINT"] = stub.endpoint
        #expect(try helper.run("store", HelperBinary.storeRequest(Self.host, Self.key.id, Self.key.secret)).status == 0)
        try helper.writeItemIndependently(
            label: "token",
            attributes: [
                "kind": "token", "server": Self.host, "minted_by": Self.key.id,
                "endpoint": stub.endpoint,
            ],
            secret:
                #"{"username":"u","password":"p","expires_at":-9200000000000000000,"minted_at":9200000000000000000}"#)
        let result = try helper.run("get", Self.host)
        #expect(result.status == 0, "\(result.stdoutText)")
        #expect(!result.stdoutText.contains(#""Secret":"p""#))
        #expect(stub.requests.count == 1)
    }
}
