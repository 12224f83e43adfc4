import Foundation
import TestSupport
import Testing

/// Many helpers at once on one keyring, as parallel pulls, logins and logouts make them.
@Suite struct ConcurrencyTests {
    @Test func twoHundredMixedCallsAcrossTwentyHostsLeaveOneReadableLoginPerHost() async throws {
        let keyring = try PrivateKeyring()
        let helper = try HelperBinary(keyring: keyring)
        let hosts = (0..<20).map { "host\($0).example.com" }
        // Every host gets a store first and last, with gets and erases in between, all interleaved.
        var calls: [(action: String, host: String, input: String)] = []
        for round in 0..<10 {
            for (index, host) in hosts.enumerated() {
                switch (round + index) % 3 {
                case 0: calls.append(("store", host, HelperBinary.storeRequest(host, "user\(round)", "pw\(round)")))
                case 1: calls.append(("get", host, host))
                default: calls.append(("erase", host, host))
                }
            }
        }
        let results = try await withThrowingTaskGroup(of: (String, ProcessResult).self) { group in
            var pending = calls.makeIterator()
            var done: [(String, ProcessResult)] = []
            for _ in 0..<12 {
                guard let call = pending.next() else { break }
                group.addTask { (call.action, try helper.run(call.action, call.input)) }
            }
            while let result = try await group.next() {
                done.append(result)
                if let call = pending.next() {
                    group.addTask { (call.action, try helper.run(call.action, call.input)) }
                }
            }
            return done
        }
        #expect(results.count == 200)
        // A Secret Service that stopped half-way fails every call after it: one issue, with the
        // service's own last words, rather than one per call.
        guard try keyring.secretServiceIsRunning() else {
            let failed = results.filter { $0.1.status != 0 && !$0.1.stdoutText.hasPrefix("credentials not found") }
            let first = failed.first.map { "\($0.0): \($0.1.stdoutText)" } ?? "none\n"
            Issue.record(
                """
                the Secret Service stopped during the calls (\(failed.count) failed; the first to end: \
                \(first)its log ends:
                \(keyring.serviceLogTail)
                """)
            return
        }
        for (action, result) in results where result.status != 0 {
            // The only failure allowed: a get that found nothing (its host was just erased).
            #expect(
                action == "get" && result.stdoutText == "credentials not found in native keychain\n",
                "\(action): \(result.stdoutText)")
        }
        // Afterwards: no host has two logins, and every login left is readable.
        let items = try helper.independentlyStoredItems()
        let servers = items.compactMap { $0["attribute.server"] }
        #expect(servers.count == Set(servers).count)
        for server in servers {
            let got = try helper.run("get", server)
            #expect(got.status == 0 && got.stdoutText.hasPrefix(#"{"ServerURL":"\#(server)","Username":"user"#))
        }
    }
}
