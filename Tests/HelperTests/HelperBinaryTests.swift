import Foundation
import TestSupport
import Testing

/// The built executable against a real gnome-keyring on a private bus of its own, as docker runs
/// it: one process per action, the request on stdin; `secret-tool` checks what really was stored.
@Suite struct HelperBinaryTests {
    let keyring: PrivateKeyring
    let helper: HelperBinary

    init() throws {
        keyring = try PrivateKeyring()
        helper = try HelperBinary(keyring: keyring)
    }

    func store(_ serverURL: String, _ username: String, _ secret: String) throws -> ProcessResult {
        try helper.run("store", HelperBinary.storeRequest(serverURL, username, secret))
    }

    /// A password is answered as it was stored on every Secret Service: KeePassXC expands its
    /// placeholders in a secret stored as text, and refuses one holding a field reference.
    @Test(arguments: ["{REF:P@I:46C9B1FFBD4ABC4BBB260C6190BAD20C}", "a}{TITLE}b{USERNAME}", "{URL}{}{json}"])
    func aPasswordWithBracesIsAnsweredAsStored(_ password: String) throws {
        #expect(try store("reg.example.com", "alice", password).status == 0)
        #expect(
            try helper.run("get", "reg.example.com").stdoutText
                == #"{"ServerURL":"reg.example.com","Username":"alice","Secret":""# + password + "\"}\n")
    }

    @Test func aStoredLoginIsAnsweredListedAndErased() throws {
        let stored = try store("reg.example.com:5000", "alice", "pa<ss>&word")
        #expect(stored.status == 0 && stored.stdoutText.isEmpty && stored.stderrText.isEmpty)

        let got = try helper.run("get", "reg.example.com:5000")
        #expect(got.status == 0)
        #expect(
            got.stdoutText
                == #"{"ServerURL":"reg.example.com:5000","Username":"alice","Secret":"pa\u003css\u003e\u0026word"}"#
                + "\n")

        let viaURL = try helper.run("get", "https://Reg.Example.com:5000/")
        #expect(viaURL.stdoutText.hasPrefix(#"{"ServerURL":"https://Reg.Example.com:5000/","Username":"alice","#))

        #expect(try helper.run("list").stdoutText == #"{"reg.example.com:5000":"alice"}"# + "\n")

        let erased = try helper.run("erase", "https://reg.example.com:5000/v2/")
        #expect(erased.status == 0 && erased.stdoutText.isEmpty)

        let gone = try helper.run("get", "reg.example.com:5000")
        #expect(gone.status == 1)
        #expect(gone.stdoutText == "credentials not found in native keychain\n")
        #expect(try helper.run("list").stdoutText == "{}\n")
        #expect(try helper.independentlyStoredItems().isEmpty)
    }

    @Test func theItemIsWhatTheSchemaSays() throws {
        _ = try store("https://reg.example.com/", "alice", "pw")
        let items = try helper.independentlyStoredItems()
        #expect(items.count == 1)
        let item = try #require(items.first)
        #expect(item["attribute.kind"] == "registry-login")
        #expect(item["attribute.server"] == "reg.example.com")
        #expect(item["attribute.username"] == "alice")
        #expect(item["label"] == "Registry login alice for reg.example.com")
        #expect(item["secret"] == #"{"username":"alice","secret":"pw"}"#)
    }

    @Test func aNewLoginReplacesTheOldOneWithoutDuplicates() throws {
        _ = try store("reg.example.com", "alice", "one")
        _ = try store("https://reg.example.com", "bob", "two")
        let items = try helper.independentlyStoredItems()
        #expect(items.count == 1)
        #expect(items.first?["attribute.username"] == "bob")
        #expect(try helper.run("get", "reg.example.com").stdoutText.contains(#""Username":"bob","Secret":"two""#))
    }

    @Test func anIdentityTokenLoginIsKeptAndAnsweredExactly() throws {
        _ = try store("reg.example.com", "<token>", "refresh-token")
        #expect(
            try helper.run("get", "reg.example.com").stdoutText
                == #"{"ServerURL":"reg.example.com","Username":"\u003ctoken\u003e","Secret":"refresh-token"}"# + "\n")
    }

    @Test func eraseRemovesExactlyThatHost() throws {
        _ = try store("a.example.com", "alice", "1")
        _ = try store("a.example.com:5000", "bob", "2")
        #expect(try helper.run("erase", "a.example.com").status == 0)
        #expect(try helper.run("list").stdoutText == #"{"a.example.com:5000":"bob"}"# + "\n")
        #expect(try helper.run("erase", "never-stored.example.com").status == 0)
    }

    @Test func badInputIsRefusedAndChangesNothing() throws {
        _ = try store("reg.example.com", "alice", "one")
        let before = try helper.independentlyStoredItems()
        let cases: [(action: String, input: Data, output: String)] = [
            ("store", Data(), "invalid input for store: it is empty"),
            (
                "store", Data(#"{"ServerURL":"reg.example.com","Username":"bob","Secret":"hunter2""#.utf8),
                "invalid input for store: not a JSON object"
            ),
            ("store", Data(#"{"ServerURL":"reg.example.com","Secret":"hunter2"}"#.utf8), "no credentials username"),
            ("store", Data(#"{"Username":"bob","Secret":"hunter2"}"#.utf8), "no credentials server URL"),
            (
                "store", Data(HelperBinary.storeRequest("bob:hunter2@reg.example.com", "bob", "hunter2").utf8),
                "invalid registry server URL: it must not carry a user name or password"
            ),
            ("store", Data([0x7b, 0xff, 0x7d]), "invalid input for store: it is not UTF-8 text"),
            ("store", Data(repeating: 0x20, count: (1 << 20) + 1), "invalid input for store: more than 1 MiB"),
            ("erase", Data(), "no credentials server URL"),
            ("erase", Data("https://reg.example.com x/v2/".utf8), "invalid registry server URL"),
            ("erase", Data("reg example.com".utf8), "invalid registry server URL"),
            ("get", Data("\n".utf8), "no credentials server URL"),
        ]
        for test in cases {
            let result = try helper.run(test.action, bytes: test.input)
            #expect(result.status == 1, "\(test.output)")
            #expect(result.stdoutText.hasPrefix(test.output), "\(result.stdoutText)")
            #expect(result.stdoutText.filter { $0 == "\n" }.count == 1)
            #expect(!result.stdoutText.contains("hunter2") && !result.stderrText.contains("hunter2"))
        }
        #expect(try helper.independentlyStoredItems() == before)
    }

    @Test func concurrentStoresOfOneHostLeaveExactlyOneLogin() async throws {
        let helper = self.helper
        let usernames = (0..<8).map { "user\($0)" }
        let results = try await withThrowingTaskGroup(of: Int32.self) { group in
            for username in usernames {
                group.addTask {
                    try helper.run("store", HelperBinary.storeRequest("reg.example.com", username, "pw-\(username)"))
                        .status
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(results == Array(repeating: 0, count: usernames.count))
        let items = try helper.independentlyStoredItems()
        #expect(items.count == 1)
        let username = try #require(items.first?["attribute.username"])
        #expect(items.first?["secret"] == #"{"username":"\#(username)","secret":"pw-\#(username)"}"#)
    }

    @Test(arguments: [
        "get", "store", "erase", "list", "version", "import-keys", "add-key", "list-keys", "remove-key",
        "configure-docker", "doctor", "clear-cache", "kubelet-credential-provider",
    ])
    func everyCommandsHelpShowsAnExample(_ command: String) throws {
        let help = try runProcess(PackagePaths.helper, [command, "--help"], environment: baseEnvironment())
        #expect(help.status == 0)
        #expect(help.stdoutText.contains("Example: "), "\(command) --help has no example")
    }

    @Test(arguments: ["bash", "zsh", "fish"])
    func completionScripts(_ shell: String) throws {
        let script = try runProcess(
            PackagePaths.helper, ["--generate-completion-script", shell], environment: baseEnvironment())
        #expect(script.status == 0 && script.stdoutText.contains("import-keys"))
    }

    /// `version` and `--help` read no setting and touch no file: they answer even where every
    /// setting is wrong, and leave HOME as it was.
    @Test func versionAndHelpNeedNoKeyringNoSettingAndNoFile() throws {
        let home = try makeTemporaryDirectory(prefix: "bare-home")
        let broken = [
            "HOME": home, "DOCKER_CREDENTIAL_ACR_HELPER_DEADLINE": "soon",
            "DOCKER_CREDENTIAL_ACR_HELPER_TIMEOUT": "-1", "XDG_CACHE_HOME": home + "/cache",
        ]
        let version = try HelperBinary(environment: broken).run("version")
        #expect(version.status == 0, "\(version.stdoutText)")
        #expect(version.stdoutText.hasPrefix("docker-credential-acr-helper "))
        let help = try runProcess(
            PackagePaths.helper, ["--help"], environment: baseEnvironment().merging(broken) { $1 })
        #expect(help.status == 0)
        #expect(help.stdoutText.contains("credHelpers"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: home).isEmpty)
    }
}

/// `docker logout` never loses an AccessKey: the one stored for the host may be its only copy.
@Suite struct LogoutKeepsKeysTests {
    @Test func eraseRemovesTheLoginButKeepsTheHostsKeyAndSaysHowToRemoveIt() throws {
        let helper = try HelperBinary(keyring: PrivateKeyring())
        let host = "registry.cn-hangzhou.aliyuncs.com"
        #expect(
            try helper.run("store", HelperBinary.storeRequest(host, "LTAI5tLogoutKey00001", "the-only-copy")).status
                == 0)
        let erased = try helper.run("erase", host)
        #expect(erased.status == 0 && erased.stdoutText.isEmpty)
        #expect(erased.stderrText.contains("the AccessKey LTAI****0001 stored for \(host) stays in the keyring"))
        #expect(erased.stderrText.contains("docker-credential-acr-helper remove-key --server \(host)"))
        #expect(!erased.stderrText.contains("the-only-copy"))
        let items = try helper.independentlyStoredItems()
        #expect(items.map { $0["attribute.kind"] } == ["access-key"])
        #expect(items.first?["secret"]?.contains("the-only-copy") == true)
        #expect(try helper.run("list").stdoutText == #"{"\#(host)":"LTAI5tLogoutKey00001"}"# + "\n")
    }
}

/// The running helper writes no core file, and stays nameable through `/proc/PID/exe`.
@Suite struct CoreFileTests {
    @Test func aRunningHelperHasNoCoreFileLimitAndAReadableExe() throws {
        // A `get` whose stdin never ends waits (within its deadline) long enough to be looked at.
        var pipe: [Int32] = [0, 0]
        #expect(Glibc.pipe(&pipe) == 0)
        defer { close(pipe[1]) }
        let pid = try spawnServer(
            PackagePaths.helper, ["get"],
            environment: baseEnvironment().merging(["DOCKER_CREDENTIAL_ACR_HELPER_DEADLINE": "5"]) { $1 },
            log: try makeTemporaryDirectory(prefix: "core") + "/log", stdin: pipe[0])
        close(pipe[0])
        defer { kill(pid, SIGKILL) }
        // Waiting on its stdin (poll), so past its start, where the limit is set.
        let limit = ContinuousClock.now + .seconds(10)
        func waiting() -> Bool {
            ((try? String(contentsOfFile: "/proc/\(pid)/wchan", encoding: .utf8)) ?? "").contains("poll")
        }
        while !waiting() && ContinuousClock.now < limit { usleep(1000) }
        try #require(waiting(), "the helper never waited on its stdin")
        let limits = try String(contentsOfFile: "/proc/\(pid)/limits", encoding: .utf8)
        let line = try #require(limits.split(separator: "\n").first { $0.hasPrefix("Max core file size") })
        #expect(
            line.split(separator: " ", omittingEmptySubsequences: true).prefix(6).suffix(2) == ["0", "0"], "\(line)")
        let exe = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/exe")
        #expect(exe.hasSuffix("/docker-credential-acr-helper"))
    }
}
