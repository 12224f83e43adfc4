import Foundation
import TestSupport
import Testing

/// The keyring's failure modes through the real executable, each with a keyring of its own: each
/// has its own message and fix, exits 1 in well under 2 seconds, and changes nothing.
@Suite struct KeyringFaultTests {
    /// What the locked message names, and the fix its hint gives, for each Secret Service.
    func lockedTexts(_ keyring: PrivateKeyring) -> (label: String, advice: String, hint: String) {
        let label = keyring.service.defaultCollectionLabel
        switch keyring.service {
        case .gnomeKeyring:
            return (
                label, "Passwords and Keys; headless: gnome-keyring-daemon --replace --unlock",
                "gnome-keyring-daemon --replace --unlock"
            )
        case .keePassXC: return (label, "unlock the database in KeePassXC", "database \"Passwords\" in KeePassXC")
        case .kWallet: return (label, "open the wallet in KWallet Manager", "wallet \"kdewallet\" in KWallet Manager")
        }
    }

    @Test func aCollectionLockedAfterUseIsLockedNotEmptyAndUnchanged() throws {
        let keyring = try PrivateKeyring()
        let helper = try HelperBinary(keyring: keyring)
        #expect(try helper.run("store", HelperBinary.storeRequest("reg.example.com", "alice", "one")).status == 0)
        try keyring.lock()

        let texts = lockedTexts(keyring)
        for (action, input) in [("get", "reg.example.com"), ("get", "never-stored.example.com"), ("list", "")] {
            let result = try helper.run(action, input)
            expectQuickFailure(result, "the keyring collection \"\(texts.label)\" is locked: unlock it and try again")
            #expect(result.stdoutText.contains(texts.advice))
            #expect(result.stderrText.contains(texts.hint))
        }
        expectQuickFailure(
            try helper.run("store", HelperBinary.storeRequest("reg.example.com", "mallory", "two")),
            "cannot store credentials for reg.example.com: the keyring collection \"\(texts.label)\" is locked")
        expectQuickFailure(try helper.run("erase", "reg.example.com"), "cannot erase credentials for reg.example.com")

        // Unlocked the way the hint says, the login is there as it was.
        try keyring.unlock()
        #expect(
            try helper.run("get", "reg.example.com").stdoutText
                == #"{"ServerURL":"reg.example.com","Username":"alice","Secret":"one"}"# + "\n")
    }

    @Test func aCollectionLockedSinceTheDaemonStartedIsLockedNotEmpty() throws {
        let keyring = try PrivateKeyring()
        let helper = try HelperBinary(keyring: keyring)
        #expect(try helper.run("store", HelperBinary.storeRequest("reg.example.com", "alice", "one")).status == 0)
        // gnome-keyring then finds no items at all, KeePassXC has no database open: only the
        // Locked property tells.
        try keyring.restart()
        expectQuickFailure(
            try helper.run("get", "reg.example.com"),
            "cannot read credentials for reg.example.com: the keyring collection "
                + "\"\(keyring.service.defaultCollectionLabel)\" is locked")
        expectQuickFailure(try helper.run("list"), "is locked")
        try keyring.unlock()
        #expect(try helper.run("get", "reg.example.com").status == 0)
    }

    @Test func aKeyringThatNeverHeldOurItemsIsStillReportedLocked() throws {
        let helper = try HelperBinary(keyring: PrivateKeyring(.locked))
        expectQuickFailure(try helper.run("get", "reg.example.com"), "is locked")
    }

    @Test func noSecretServiceOnTheBus() throws {
        let helper = try HelperBinary(keyring: PrivateKeyring(.noSecretService))
        let result = try helper.run("get", "reg.example.com")
        expectQuickFailure(
            result, "cannot read credentials for reg.example.com: no Secret Service on the D-Bus session bus")
        #expect(result.stdoutText.contains("gnome-keyring"))
        expectQuickFailure(
            try helper.run("store", HelperBinary.storeRequest("reg.example.com", "a", "b")), "no Secret Service")
    }

    @Test func noSessionBusAtAll() throws {
        let runtime = try makeTemporaryDirectory(prefix: "no-bus")
        let helper = HelperBinary(environment: ["XDG_RUNTIME_DIR": runtime, "HOME": runtime])
        let result = try helper.run("get", "reg.example.com")
        expectQuickFailure(
            result,
            "cannot read credentials for reg.example.com: no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is not set "
                + "and there is no $XDG_RUNTIME_DIR/bus)")
        #expect(result.stderrText.contains("sudo"))
    }

    @Test func aBusAddressThatLeadsNowhere() throws {
        let runtime = try makeTemporaryDirectory(prefix: "dead-bus")
        let helper = HelperBinary(environment: [
            "DBUS_SESSION_BUS_ADDRESS": "unix:path=\(runtime)/gone", "XDG_RUNTIME_DIR": runtime, "HOME": runtime,
        ])
        expectQuickFailure(
            try helper.run("get", "reg.example.com"),
            "no D-Bus session bus (Failed to connect to socket \(runtime)/gone: No such file or directory)")
    }

    /// A socket that takes the connection and hangs up, as a bus that refuses this process does:
    /// no session bus, said in one line and at once.
    @Test func aBusThatHangsUpBeforeHello() throws {
        let runtime = try makeTemporaryDirectory(prefix: "hangup-bus")
        let socket = runtime + "/bus"
        let server = try spawnServer(
            "/usr/bin/python3",
            [
                "-c",
                "import socket, sys\ns = socket.socket(socket.AF_UNIX)\ns.bind(sys.argv[1])\ns.listen(8)\n"
                    + "while True:\n    s.accept()[0].close()\n",
                socket,
            ], environment: baseEnvironment(), log: runtime + "/server.log")
        defer {
            kill(server, SIGTERM)
            waitpid(server, nil, 0)
        }
        let limit = ContinuousClock.now + .seconds(10)
        while !FileManager.default.fileExists(atPath: socket) && ContinuousClock.now < limit { usleep(10_000) }
        let helper = HelperBinary(environment: [
            "DBUS_SESSION_BUS_ADDRESS": "unix:path=\(socket)", "XDG_RUNTIME_DIR": runtime, "HOME": runtime,
        ])
        expectQuickFailure(
            try helper.run("get", "reg.example.com"),
            "no D-Bus session bus (the bus at unix:path=\(socket) closed the connection before it answered Hello)")
    }

    @Test func aCollectionThatDoesNotExist() throws {
        var helper = try HelperBinary(keyring: PrivateKeyring())
        helper.environment["DOCKER_CREDENTIAL_ACR_HELPER_COLLECTION"] = "Work"
        expectQuickFailure(
            try helper.run("get", "reg.example.com"),
            "cannot read credentials for reg.example.com: the keyring has no collection \"Work\"")
        expectQuickFailure(
            try helper.run("store", HelperBinary.storeRequest("reg.example.com", "a", "b")),
            "the keyring has no collection \"Work\"")
    }

    @Test func aLockedCollectionWithADisplayPromptsButOnlyForTheUnlockTimeout() throws {
        let keyring = try PrivateKeyring()
        var helper = try HelperBinary(keyring: keyring)
        #expect(try helper.run("store", HelperBinary.storeRequest("reg.example.com", "alice", "one")).status == 0)
        try keyring.lock()
        var graphical = helper.environment
        var stop: [pid_t] = []
        defer { for pid in stop { kill(pid, SIGTERM) } }
        if keyring.service == .gnomeKeyring {
            // A virtual display, and gnome-keyring's prompter on it, waiting for a user who never
            // comes. A display number nobody holds (a stale lock of another run would stop Xvfb).
            let number = (100..<900).lazy.map { ($0 + Int(getpid())) % 800 + 100 }.first {
                !FileManager.default.fileExists(atPath: "/tmp/.X\($0)-lock")
                    && !FileManager.default.fileExists(atPath: "/tmp/.X11-unix/X\($0)")
            }
            let display = ":\(try #require(number))"
            stop.append(
                try spawnServer(
                    "/usr/bin/Xvfb", [display, "-nolisten", "tcp"], environment: baseEnvironment(),
                    log: keyring.directory + "/xvfb.log"))
            graphical["DISPLAY"] = display
            // Xvfb takes connections once its socket is there.
            let socket = "/tmp/.X11-unix/X\(display.dropFirst())"
            let limit = ContinuousClock.now + .seconds(10)
            while !FileManager.default.fileExists(atPath: socket) && ContinuousClock.now < limit { usleep(10_000) }
            try #require(FileManager.default.fileExists(atPath: socket), "Xvfb did not start")
            stop.append(
                try spawnServer(
                    "/usr/libexec/gcr-prompter", [], environment: graphical, log: keyring.directory + "/prompter.log"))
            try waitForName("org.gnome.keyring.SystemPrompter", environment: graphical)
        } else {
            // KeePassXC and KWallet show their unlock dialog themselves (on their own, off-screen
            // display here): the helper only needs to be in a graphical session to ask for it.
            graphical["DISPLAY"] = ":0"
        }

        helper.environment = graphical
        helper.environment["DOCKER_CREDENTIAL_ACR_HELPER_UNLOCK_TIMEOUT"] = "2"
        let prompted = try helper.run("get", "reg.example.com")
        let label = keyring.service.defaultCollectionLabel
        #expect(prompted.status == 1)
        #expect(prompted.stdoutText.contains("\"\(label)\" is locked (the unlock prompt was not answered within 2"))
        #expect(prompted.elapsed >= .seconds(2) && prompted.elapsed < .seconds(2) + timingSlack, "\(prompted.elapsed)")
        // Without a display there is no prompt at all; and the Secret Service is still there.
        helper.environment["DISPLAY"] = nil
        expectQuickFailure(try helper.run("get", "reg.example.com"), "\"\(label)\" is locked: unlock it")
    }

    func waitForName(_ name: String, environment: [String: String]) throws {
        for _ in 0..<100 {
            let result = try runProcess(
                "/usr/bin/dbus-send",
                [
                    "--session", "--print-reply", "--dest=org.freedesktop.DBus", "/org/freedesktop/DBus",
                    "org.freedesktop.DBus.NameHasOwner", "string:\(name)",
                ], environment: environment)
            if result.stdoutText.contains("boolean true") { return }
            usleep(50_000)
        }
        throw TestFailure("\(name) did not appear on the bus")
    }

    @Test func gnomeKeyringKilledBetweenTwoCalls() throws {
        let keyring = try PrivateKeyring()
        let helper = try HelperBinary(keyring: keyring)
        #expect(try helper.run("store", HelperBinary.storeRequest("reg.example.com", "alice", "one")).status == 0)
        try keyring.kill()
        expectQuickFailure(try helper.run("get", "reg.example.com"), "no Secret Service on the D-Bus session bus")
        expectQuickFailure(
            try helper.run("store", HelperBinary.storeRequest("reg.example.com", "alice", "two")), "no Secret Service")
    }

    @Test func noDefaultCollectionAtAll() throws {
        let helper = try HelperBinary(keyring: PrivateKeyring(.noCollection))
        expectQuickFailure(
            try helper.run("get", "reg.example.com"),
            "cannot read credentials for reg.example.com: the keyring has no collection \"default\"")
        expectQuickFailure(
            try helper.run("store", HelperBinary.storeRequest("reg.example.com", "a", "b")),
            "the keyring has no collection \"default\"")
    }

    @Test func anUnusableSettingIsSaidOnStdout() throws {
        var helper = try HelperBinary(keyring: PrivateKeyring())
        helper.environment["DOCKER_CREDENTIAL_ACR_HELPER_TIMEOUT"] = "soon"
        expectQuickFailure(try helper.run("get", "reg.example.com"), "DOCKER_CREDENTIAL_ACR_HELPER_TIMEOUT must be")
    }
}

/// Bounds in time: a Secret Service that never answers, and a terminal instead of a request.
@Suite struct BoundedWaitTests {
    @Test func aHungSecretServiceFailsAfterTheKeyringTimeoutNotNever() throws {
        let keyring = try PrivateKeyring()
        let helper = try HelperBinary(keyring: keyring)
        #expect(try helper.run("store", HelperBinary.storeRequest("reg.example.com", "alice", "one")).status == 0)
        try keyring.freeze(true)
        defer { try? keyring.freeze(false) }
        let result = try helper.run("get", "reg.example.com")
        #expect(result.status == 1)
        #expect(
            result.stdoutText.hasPrefix(
                "cannot read credentials for reg.example.com: the Secret Service did not answer within 5 s"))
        #expect(result.elapsed >= .seconds(5) && result.elapsed < .seconds(5) + timingSlack, "\(result.elapsed)")
    }

    @Test func aTerminalOnStdinIsRefusedAtOnceInsteadOfWaitedOn() throws {
        // script(1) gives the helper a pseudo-terminal as stdin, as when a user types the command.
        let result = try runProcess(
            "/usr/bin/script", ["-qec", "\(PackagePaths.helper) get", "/dev/null"], environment: baseEnvironment())
        #expect(result.stdoutText.contains("docker-credential-acr-helper get reads its request from standard input"))
        #expect(result.stdoutText.contains("printf %s registry.example.com | docker-credential-acr-helper get"))
        // Refused, not waited on until the deadline (which would say "no complete request").
        #expect(!result.stdoutText.contains("no complete request") && result.elapsed < timingSlack)
    }

    @Test func debugLogsGoToStderrAndNeverCarryTheSecret() throws {
        var helper = try HelperBinary(keyring: PrivateKeyring())
        helper.environment["DOCKER_CREDENTIAL_ACR_HELPER_LOG_LEVEL"] = "debug"
        let stored = try helper.run("store", HelperBinary.storeRequest("reg.example.com", "alice", "hunter2-secret"))
        let got = try helper.run("get", "reg.example.com")
        #expect(stored.stdoutText.isEmpty)
        #expect(stored.stderrText.contains("stored a registry login"))
        #expect(got.stderrText.contains("answered with a stored registry login"))
        #expect(!stored.stderrText.contains("hunter2") && !got.stderrText.contains("hunter2"))
        #expect(got.stdoutText.hasPrefix("{") && got.stdoutText.hasSuffix("}\n"))
    }
}
