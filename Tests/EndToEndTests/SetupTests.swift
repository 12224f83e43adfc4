import Foundation
import TestSupport
import Testing

/// From "a key in ~/.alibabacloud/credentials" to "docker pulls from ACR with the key only in the
/// keyring", and doctor naming each broken piece on the way.
@Suite final class SetupTests: @unchecked Sendable {
    static let key = ACRAPIStub.Key(id: "LTAI5tSetupKey000001", secret: "SetupSecret0123456789abcdefgh")
    let fixture: ACRRegistryFixture
    var registry: TestRegistry { fixture.registry }
    var session: ClientSession { fixture.session }
    var mintedPassword: String { fixture.mintedPassword }

    init() throws {
        fixture = try ACRRegistryFixture(key: Self.key, instanceID: "cri-setup001")
        try FileManager.default.createDirectory(
            atPath: session.home + "/.alibabacloud", withIntermediateDirectories: true)
        try Data(
            "[default]\ntype = access_key\naccess_key_id = \(Self.key.id)\naccess_key_secret = \(Self.key.secret)\n"
                .utf8
        )
        .write(to: URL(fileURLWithPath: session.home + "/.alibabacloud/credentials"))
        // Docker's config as a fresh machine has it: none.
        try FileManager.default.removeItem(atPath: session.dockerConfig + "/config.json")
    }

    func helper(_ arguments: [String]) throws -> ProcessResult {
        try session.run("docker-credential-acr-helper", arguments)
    }

    func problems(_ doctor: ProcessResult) -> [String] {
        doctor.stdoutText.split(separator: "\n").filter { $0.hasPrefix("problem") }.map(String.init)
    }

    @Test func twoCommandsThenSkopeoReadsAndNoFileHoldsTheSecret() throws {
        let imported = try helper(["import-keys", "--delete-source"])
        #expect(imported.status == 0, "\(imported.stderrText)")
        let configured = try helper(["configure-docker", "--region", "cn-hangzhou", "--registries", registry.host])
        #expect(configured.status == 0, "\(configured.stderrText)")
        let inspect = try session.run("skopeo", ["inspect", "--tls-verify=false", "docker://\(registry.image)"])
        #expect(inspect.status == 0, "\(inspect.stderrText)")
        #expect(try !folderHolds(session.home, Self.key.secret))
        #expect(try !folderHolds(session.home, mintedPassword))
    }

    @Test func doctorNamesEachBrokenPieceThenPassesOnceFixed() throws {
        try session.keyring.lock()
        let broken = try helper(["doctor"])
        #expect(broken.status == 1)
        let locked = problems(broken)
        #expect(locked.contains { $0.hasPrefix("problem  collection:") && $0.contains("is locked") })
        #expect(
            locked.contains { $0.hasPrefix("problem  plaintext keys:") && $0.contains(".alibabacloud/credentials") })
        #expect(locked.contains { $0.hasPrefix("problem  docker config:") && $0.contains("configure-docker") })

        try session.keyring.unlock()
        let unlocked = problems(try helper(["doctor"]))
        #expect(!unlocked.contains { $0.contains("collection") })
        #expect(unlocked.contains { $0.hasPrefix("problem  keys: no AccessKey stored") })

        #expect(try helper(["import-keys", "--delete-source"]).status == 0)
        #expect(try helper(["configure-docker", "--registries", registry.host]).status == 0)
        let fixed = try helper(["doctor", "--online"])
        #expect(fixed.status == 0, "\(fixed.stdoutText)")
        #expect(problems(fixed).isEmpty)
        #expect(fixed.stdoutText.contains("ok       online \(registry.host): a password for cr_temp_user"))
        // The keys line shows the masked ID, never the whole of it.
        let keys = try #require(fixed.stdoutText.split(separator: "\n").first { $0.hasPrefix("ok       keys:") })
        #expect(keys.contains("LTAI****0001") && !keys.contains(Self.key.id), "\(keys)")
        #expect(!fixed.stdoutText.contains(Self.key.secret) && !fixed.stdoutText.contains(mintedPassword))
    }

    @Test func doctorWarnsAboutInstanceVariablesOnACredsStoreAndAMissingBus() throws {
        try Data(#"{"credsStore":"acr-helper"}"#.utf8).write(
            to: URL(fileURLWithPath: session.dockerConfig + "/config.json"))
        var environment = session.environment
        environment["DOCKER_CREDENTIAL_ACR_HELPER_INSTANCE_ID"] = "cri-setup001"
        let doctor = try runProcess(PackagePaths.helper, ["doctor"], environment: environment)
        #expect(problems(doctor).contains { $0.hasPrefix("problem  instance variables:") })
        environment["DBUS_SESSION_BUS_ADDRESS"] = nil
        environment["XDG_RUNTIME_DIR"] = try makeTemporaryDirectory(prefix: "no-bus")
        let busless = try runProcess(PackagePaths.helper, ["doctor"], environment: environment)
        #expect(problems(busless).contains { $0.hasPrefix("problem  session bus:") })
        // As root through sudo, without the user's bus: say what to do instead.
        environment["SUDO_USER"] = "alice"
        let sudo = try runProcess(PackagePaths.helper, ["doctor"], environment: environment)
        #expect(
            problems(sudo).contains {
                $0.hasPrefix("problem  user: running under sudo for alice") && $0.contains("sudo -E")
            })
    }

    func folderHolds(_ folder: String, _ text: String) throws -> Bool {
        guard let walker = FileManager.default.enumerator(atPath: folder) else { return false }
        for case let path as String in walker {
            if let data = FileManager.default.contents(atPath: folder + "/" + path),
                data.range(of: Data(text.utf8)) != nil
            {
                return true
            }
        }
        return false
    }
}
