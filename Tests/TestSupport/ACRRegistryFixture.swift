import Foundation

/// The Debian docker-registry standing in for an ACR Enterprise instance on a custom domain: its
/// htpasswd accepts only the password the stub mints for that instance, the config file pins the
/// registry's host to it, and a client session sends the host to the helper. A client that gets
/// in got in with credentials only the helper could have produced.
package struct ACRRegistryFixture: Sendable {
    package let registry: TestRegistry
    package let stub: ACRAPIStub
    package let session: ClientSession
    /// The one password the registry accepts.
    package let mintedPassword: String

    /// - Parameters:
    ///   - key: the AccessKey the stub knows.
    ///   - instanceID: the instance the registry's host is pinned to.
    package init(key: ACRAPIStub.Key, instanceID: String) throws {
        mintedPassword = "minted-\(UUID().uuidString)"
        registry = try TestRegistry(username: "cr_temp_user", password: mintedPassword)
        stub = try ACRAPIStub(
            keys: [key], instances: [ACRAPIStub.Instance(id: instanceID, name: instanceID)],
            fixedTokens: [instanceID: mintedPassword])
        session = try ClientSession(
            registry: registry, extraEnvironment: ["DOCKER_CREDENTIAL_ACR_HELPER_CR_ENDPOINT": stub.endpoint])
        let folder = session.home + "/.config/docker-credential-acr-helper"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try Data(#"{"registries":{"\#(registry.host)":{"instance_id":"\#(instanceID)","region":"cn-hangzhou"}}}"#.utf8)
            .write(to: URL(fileURLWithPath: folder + "/config.json"))
    }
}
