import ACR
import Foundation
import TestSupport
import Testing

@Suite struct HostLocksTests {
    let base: String
    let server = try! ServerAddress(parsing: "reg.example.com:5000")

    init() throws { base = try makeTemporaryDirectory(prefix: "host-locks") }

    @Test func usesARuntimeFolderMadePrivate() throws {
        let locks = try #require(HostLocks(environment: ["XDG_RUNTIME_DIR": base]))
        #expect(locks.directory == base + "/docker-credential-acr-helper")
        let mode = try FileManager.default.attributesOfItem(atPath: locks.directory)[.posixPermissions] as? Int
        #expect(mode == 0o700)
    }

    @Test func fallsBackToTheCacheFolderThenHome() throws {
        #expect(
            HostLocks(environment: ["XDG_CACHE_HOME": base + "/cache"])?.directory
                == base + "/cache/docker-credential-acr-helper")
        #expect(HostLocks(environment: ["HOME": base])?.directory == base + "/.cache/docker-credential-acr-helper")
        #expect(HostLocks(environment: ["XDG_RUNTIME_DIR": "relative", "HOME": "also-relative"]) == nil)
    }

    @Test func refusesAFolderThatIsALink() throws {
        try FileManager.default.createDirectory(atPath: base + "/elsewhere", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(
            atPath: base + "/docker-credential-acr-helper", withDestinationPath: base + "/elsewhere")
        #expect(HostLocks(environment: ["XDG_RUNTIME_DIR": base]) == nil)
    }

    @Test func aSecondHolderWaitsAndThenGivesUpSayingWhy() throws {
        let locks = try #require(HostLocks(environment: ["XDG_RUNTIME_DIR": base]))
        let first = try locks.lock("keyring", for: server, timeout: .seconds(1))
        let clock = ContinuousClock()
        let start = clock.now
        let error = #expect(throws: ACRError.self) {
            _ = try locks.lock("keyring", for: server, timeout: .milliseconds(200))
        }
        #expect(start.duration(to: clock.now) >= .milliseconds(200))
        #expect(error?.code == .lock)
        #expect(error?.message.contains("reg.example.com:5000") == true)
        // Another host and another purpose are not held.
        _ = try locks.lock("keyring", for: ServerAddress(parsing: "other.example.com"), timeout: .zero)
        _ = try locks.lock("token", for: server, timeout: .zero)
        _ = consume first
        _ = try locks.lock("keyring", for: server, timeout: .zero)
    }

    @Test func tryLockTakesAFreeLockAndNeverWaits() throws {
        let locks = try #require(HostLocks(environment: ["XDG_RUNTIME_DIR": base]))
        func taken(_ purpose: String) throws -> Bool { try locks.tryLock(purpose, for: server) != nil }
        let first = try locks.tryLock("token", for: server)
        let firstTaken = first != nil
        #expect(firstTaken)
        // Held: answered at once (a blocking flock would hang here), and only that purpose.
        #expect(try !taken("token"))
        #expect(try taken("keyring"))
        _ = consume first
        #expect(try taken("token"))
    }

    @Test func refusesALockFileThatIsALink() throws {
        let locks = try #require(HostLocks(environment: ["XDG_RUNTIME_DIR": base]))
        try FileManager.default.createSymbolicLink(
            atPath: locks.directory + "/keyring-reg.example.com:5000.lock", withDestinationPath: base + "/target")
        #expect(throws: ACRError.self) { _ = try locks.lock("keyring", for: server, timeout: .zero) }
        #expect(!FileManager.default.fileExists(atPath: base + "/target"))
    }
}
