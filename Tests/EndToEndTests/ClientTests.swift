import Foundation
import TestSupport
import Testing

/// Real clients against the Debian docker-registry, with credentials that come only from the
/// helper: each test has its own keyring, HOME and docker config, and the registry is refused
/// everything once the helper has nothing for it.
@Suite struct ClientTests {
    let registry: TestRegistry
    let session: ClientSession

    init() throws {
        registry = try TestRegistry()
        session = try ClientSession(registry: registry)
    }

    /// What `get` must print for the registry's account, byte for byte.
    var storedAnswer: String {
        #"{"ServerURL":"\#(registry.host)","Username":"\#(registry.username)","Secret":"\#(registry.password)"}"# + "\n"
    }

    func storeThroughTheHelper(password: String? = nil) throws {
        let request = HelperBinary.storeRequest(registry.host, registry.username, password ?? registry.password)
        #expect(try session.helper.run("store", request).status == 0)
    }

    func expectNotFound(sourceLocation: SourceLocation = #_sourceLocation) throws {
        let result = try session.helper.run("get", registry.host)
        #expect(result.status == 1, sourceLocation: sourceLocation)
        #expect(result.stdoutText == "credentials not found in native keychain\n", sourceLocation: sourceLocation)
    }

    @Test func dockerLoginStoresManifestInspectReadsLogoutErases() throws {
        let login = try session.run(
            "docker", ["login", registry.host, "-u", registry.username, "--password-stdin"], input: registry.password)
        #expect(login.status == 0, "\(login.stderrText)")
        #expect(login.stdoutText.contains("Login Succeeded"))
        #expect(try session.helper.run("get", registry.host).stdoutText == storedAnswer)
        // The password went to the keyring, not into the docker config.
        let auth = Data("\(registry.username):\(registry.password)".utf8).base64EncodedString()
        #expect(!session.dockerConfigText.contains(registry.password) && !session.dockerConfigText.contains(auth))

        let inspect = try session.run("docker", ["manifest", "inspect", "--insecure", registry.image])
        #expect(inspect.status == 0, "\(inspect.stderrText)")
        #expect(inspect.stdoutText.contains("application/vnd.oci.image.layer.v1.tar"))

        let logout = try session.run("docker", ["logout", registry.host])
        #expect(logout.status == 0, "\(logout.stderrText)")
        try expectNotFound()

        let refused = try session.run("docker", ["manifest", "inspect", "--insecure", registry.image])
        #expect(refused.status != 0)
        #expect((refused.stdoutText + refused.stderrText).contains("no basic auth credentials"))
    }

    @Test func skopeoPushesAndInspectsWithTheHelpersLogin() throws {
        try storeThroughTheHelper()
        let pushed = "\(registry.host)/demo/pushed:v1"
        let copy = try session.run(
            "skopeo",
            ["copy", "--quiet", "--dest-tls-verify=false", "oci:\(registry.ociLayout):v1", "docker://\(pushed)"])
        #expect(copy.status == 0, "\(copy.stderrText)")
        let inspect = try session.run("skopeo", ["inspect", "--tls-verify=false", "docker://\(pushed)"])
        #expect(inspect.status == 0, "\(inspect.stderrText)")
        #expect(inspect.stdoutText.contains(#""Name": "\#(registry.host)/demo/pushed""#))

        #expect(try session.helper.run("erase", registry.host).status == 0)
        let refused = try session.run("skopeo", ["inspect", "--tls-verify=false", "docker://\(pushed)"])
        #expect(refused.status != 0)
        #expect(refused.stderrText.contains("authentication required"), "\(refused.stderrText)")
    }

    @Test func podmanPullsWithTheHelpersLogin() throws {
        try storeThroughTheHelper()
        let storage = try makeTemporaryDirectory(prefix: "podman")
        let podman = [
            "--root", storage + "/root", "--runroot", storage + "/run", "--storage-driver", "vfs",
            "--events-backend", "file", "--cgroup-manager", "cgroupfs",
        ]
        let pull = try session.run("podman", podman + ["pull", "--quiet", "--tls-verify=false", registry.image])
        #expect(pull.status == 0, "\(pull.stderrText)")

        #expect(try session.helper.run("erase", registry.host).status == 0)
        let refused = try session.run("podman", podman + ["pull", "--quiet", "--tls-verify=false", registry.image])
        #expect(refused.status != 0)
        #expect(refused.stderrText.contains("authentication required"), "\(refused.stderrText)")
    }

    @Test func dockerPyStoresGetsListsAndErases() throws {
        let script = PackagePaths.root + "/Tests/Clients/docker_py_credentials.py"
        let result = try session.run("python3", [script, registry.host, "bob", "s3cret <&> \u{1F511}"])
        #expect(result.status == 0, "\(result.stdoutText)\(result.stderrText)")
        #expect(result.stdoutText == "docker-py round trip ok\n")
        try expectNotFound()
    }

    @Test func aWrongPasswordIsTheRegistrysRefusalNotAHelperFailure() throws {
        try storeThroughTheHelper(password: "not-the-password")
        let got = try session.helper.run("get", registry.host)
        #expect(got.status == 0)

        let storage = try makeTemporaryDirectory(prefix: "podman")
        let attempts: [(tool: String, arguments: [String])] = [
            ("docker", ["manifest", "inspect", "--insecure", registry.image]),
            ("skopeo", ["inspect", "--tls-verify=false", "docker://\(registry.image)"]),
            (
                "podman",
                [
                    "--root", storage + "/root", "--runroot", storage + "/run", "--storage-driver", "vfs",
                    "--events-backend", "file", "pull", "--tls-verify=false", registry.image,
                ]
            ),
        ]
        for attempt in attempts {
            let refusedBefore = registry.refusedPasswords(for: registry.username)
            let result = try session.run(attempt.tool, attempt.arguments)
            let said = result.stdoutText + result.stderrText
            #expect(result.status != 0, "\(attempt.tool)")
            // The registry itself saw the helper's login and refused its password…
            #expect(registry.refusedPasswords(for: registry.username) > refusedBefore, "\(attempt.tool): \(said)")
            // …and the client did not report a failing helper ("error getting credentials").
            #expect(!said.contains("error getting credentials"), "\(attempt.tool): \(said)")
        }
    }
}
