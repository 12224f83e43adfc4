import Foundation
import TestSupport
import Testing

/// What the helper sends the Secret Service, read off the bus by `dbus-monitor`: the order of
/// calls that keeps GNOME Keyring alive under many clients at once (docs/design.md, "The first
/// call").
@Suite struct BusTrafficTests {
    /// One message as `dbus-monitor --profile` prints it.
    struct Message {
        let type: String
        let serial: String
        let sender: String
        let destination: String
        /// A call's path and member; a reply's `in_reply_to` serial as `path`.
        let path: String
        let member: String

        init?(_ line: Substring) {
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard fields.count >= 6, !fields[0].hasPrefix("#") else { return nil }
            (type, serial, sender, destination, path) = (fields[0], fields[2], fields[3], fields[4], fields[5])
            member = fields.count >= 8 ? fields[7] : ""
        }

        /// A method's return or error.
        var isReply: Bool { type == "mr" || type == "err" }
    }

    /// Runs `body` while `dbus-monitor` records the keyring's bus; returns every message seen.
    func monitoring(_ keyring: PrivateKeyring, _ body: () throws -> Void) throws -> [Message] {
        let log = keyring.directory + "/monitor.log"
        let monitor = try spawnServer(
            "/usr/bin/dbus-monitor", ["--session", "--profile"],
            environment: baseEnvironment().merging(keyring.environment) { $1 }, log: log)
        func text() -> String { (try? String(contentsOfFile: log, encoding: .utf8)) ?? "" }
        // Monitoring from the moment the bus takes its name away (NameLost), which it prints.
        let limit = ContinuousClock.now + .seconds(10)
        while !text().contains("NameLost") && ContinuousClock.now < limit { usleep(10_000) }
        try #require(text().contains("NameLost"), "dbus-monitor did not start: \(text())")
        try body()
        usleep(200_000)  // the last replies printed
        kill(monitor, SIGTERM)
        var status: Int32 = 0
        waitpid(monitor, &status, 0)
        return text().split(separator: "\n").compactMap(Message.init)
    }

    @Test func eachHelperAsksForTheAliasAloneFirstAndNeverCallsAnAliasPath() throws {
        let keyring = try PrivateKeyring()
        let helper = try HelperBinary(keyring: keyring)
        let messages = try monitoring(keyring) { () throws in
            #expect(try helper.run("store", HelperBinary.storeRequest("reg.example.com", "alice", "one")).status == 0)
            #expect(try helper.run("get", "reg.example.com").status == 0)
            #expect(try helper.run("get", "never-stored.example.com").status == 1)
            #expect(try helper.run("list").status == 0)
            #expect(try helper.run("erase", "reg.example.com").status == 0)
        }
        // The Secret Service's names: the well-known one, and the unique one its replies come
        // from (a client may call that one).
        let calls = messages.filter { $0.type == "mc" }
        let toService = calls.filter { $0.destination == "org.freedesktop.secrets" }
        var service: Set<String> = ["org.freedesktop.secrets"]
        for reply in messages where reply.isReply {
            if toService.contains(where: { $0.sender == reply.destination && $0.serial == reply.path }) {
                service.insert(reply.sender)
            }
        }
        let clients = Set(calls.filter { service.contains($0.destination) }.map(\.sender))
        #expect(clients.count == 5, "one connection per helper run: \(clients.sorted())")
        // Each message with its place in the stream, to tell which came first.
        let stream = Array(messages.enumerated())
        for client in clients {
            // Its calls to the Secret Service, and the reply to the first.
            let own = stream.filter { $0.element.type == "mc" && $0.element.sender == client }
                .filter { service.contains($0.element.destination) }
            guard let first = own.first else { continue }
            #expect(first.element.member == "ReadAlias", "\(client) first called \(first.element.member)")
            let answered = stream.first {
                $0.element.isReply && $0.element.destination == client
                    && $0.element.path == first.element.serial && service.contains($0.element.sender)
            }
            let next = own.dropFirst().first
            #expect(answered != nil)
            if let answered, let next {
                #expect(
                    answered.offset < next.offset,
                    "\(client) called \(next.element.member) before its ReadAlias was answered")
            }
            for call in own {
                #expect(
                    !call.element.path.hasPrefix("/org/freedesktop/secrets/aliases/"),
                    "\(client) called \(call.element.member) at \(call.element.path)")
            }
        }
    }
}
