import Foundation
import TestSupport
import Testing

/// A Secret Service that answers with the wrong types, a huge list, odd object paths, or never
/// (`scripts/hostile-secret-service.py`): each is one clear line, exit 1, never a crash or a hang.
@Suite struct HostileSecretServiceTests {
    /// Runs `body` with a helper whose bus has the hostile service in `mode` as its Secret Service.
    func withHostileService(_ mode: String, _ body: (HelperBinary) throws -> Void) throws {
        let keyring = try PrivateKeyring(.noSecretService)
        let helper = try HelperBinary(keyring: keyring)
        let ready = keyring.directory + "/hostile-ready"
        let service = try spawnServer(
            "/usr/bin/python3", [PackagePaths.script("hostile-secret-service.py"), mode, ready],
            environment: helper.environment, log: keyring.directory + "/hostile.log")
        defer { kill(service, SIGKILL) }
        for _ in 0..<500 where !FileManager.default.fileExists(atPath: ready) { usleep(10_000) }
        try #require(FileManager.default.fileExists(atPath: ready), "the hostile service did not start")
        try body(helper)
    }

    func expectOneLineFailure(
        _ result: ProcessResult, within limit: Duration, sourceLocation: SourceLocation = #_sourceLocation
    ) {
        // 1, not a signal's 128 + n: no crash.
        #expect(result.status == 1, "\(result.status) \(result.stdoutText)", sourceLocation: sourceLocation)
        #expect(
            result.stdoutText.filter { $0 == "\n" }.count == 1, "\(result.stdoutText)", sourceLocation: sourceLocation)
        #expect(result.stdoutText != "credentials not found in native keychain\n", sourceLocation: sourceLocation)
        #expect(result.elapsed < limit, "\(result.elapsed)", sourceLocation: sourceLocation)
    }

    @Test(arguments: ["wrong-types", "huge", "odd-paths"])
    func aServiceAnsweringAsNoneShouldIsOneLineNeverACrash(_ mode: String) throws {
        try withHostileService(mode) { helper in
            for (action, input) in [
                ("get", "reg.example.com"), ("list", ""),
                ("store", HelperBinary.storeRequest("reg.example.com", "a", "b")),
                ("erase", "reg.example.com"),
            ] {
                let result = try helper.run(action, input)
                expectOneLineFailure(result, within: timingSlack)
                #expect(!result.stdoutText.contains("did not answer within"), "\(result.stdoutText)")
                #expect(result.stdoutText.contains("Secret Service"), "\(mode) \(action): \(result.stdoutText)")
            }
        }
    }

    /// GNOME Keyring can run a new client's first call before it knows the client, and then
    /// says the alias names no collection: a `/` from the first `ReadAlias` is asked again.
    @Test func aFirstAnswerOfNoCollectionIsAskedAgainNotBelieved() throws {
        try withHostileService("first-alias-slash") { helper in
            let get = try helper.run("get", "reg.example.com")
            #expect(get.status == 1)
            #expect(get.stdoutText == "credentials not found in native keychain\n", "\(get.stdoutText)")
            let list = try helper.run("list")
            #expect(list.status == 0 && list.stdoutText == "{}\n", "\(list.stdoutText)")
        }
    }

    /// The process's deadline bounds the keyring too: a shorter deadline ends the wait sooner.
    @Test func aServiceThatNeverAnswersIsBoundedByTheProcessDeadline() throws {
        try withHostileService("never") { helper in
            var helper = helper
            helper.environment["DOCKER_CREDENTIAL_ACR_HELPER_DEADLINE"] = "2"
            let result = try helper.run("get", "reg.example.com")
            expectOneLineFailure(result, within: .seconds(2) + timingSlack)
            // What was left of the 2 s deadline, not the 5 s a keyring call has.
            #expect(result.stdoutText.contains("the Secret Service did not answer within"), "\(result.stdoutText)")
            #expect(!result.stdoutText.contains("within 5 s"), "\(result.stdoutText)")
        }
    }

    @Test func aServiceThatNeverAnswersIsBoundedByTheKeyringTimeout() throws {
        try withHostileService("never") { helper in
            let result = try helper.run("get", "reg.example.com")
            #expect(result.elapsed >= .seconds(5), "\(result.elapsed)")
            expectOneLineFailure(result, within: .seconds(5) + timingSlack)
            #expect(result.stdoutText.contains("did not answer within 5 s"), "\(result.stdoutText)")
        }
    }
}
