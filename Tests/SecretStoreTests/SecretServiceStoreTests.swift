import Foundation
import Logging
import SecretStore
import TestSupport
import Testing

/// SecretServiceStore against the real gnome-keyring of the private bus this test process runs in
/// (the README's test command starts it). Each test uses its own server names, so they can run in
/// parallel; `secret-tool`, a separate libsecret client, checks what was really written.
@Suite struct SecretServiceStoreTests {
    static let schema = SecretSchema(
        name: "docker-credential-acr-helper.test", attributeNames: ["kind", "server", "username"])

    let store: SecretServiceStore
    let server = "host-\(UUID().uuidString.lowercased()).example"

    init() throws {
        try #require(PrivateKeyring.processIsInside, "\(PrivateKeyring.outsideMessage)")
        store = SecretServiceStore(
            schema: Self.schema, environment: ProcessInfo.processInfo.environment, logger: Logger(label: "test"))
    }

    func item(_ username: String, secret: String) -> SecretItem {
        SecretItem(
            label: "test \(username) for \(server)",
            attributes: ["kind": "registry-login", "server": server, "username": username], secret: secret)
    }

    var identity: [String: String] { ["kind": "registry-login", "server": server] }

    /// What an independent client sees: `secret-tool search --all` prints attributes on stderr.
    func secretToolCount() throws -> Int {
        var environment = baseEnvironment()
        environment.merge(
            ProcessInfo.processInfo.environment.filter {
                ["DBUS_SESSION_BUS_ADDRESS", "XDG_RUNTIME_DIR"].contains($0.key)
            }
        ) { $1 }
        let result = try runProcess(
            "/usr/bin/secret-tool", ["search", "--all", "server", server], environment: environment)
        return (result.stdoutText + result.stderrText).components(separatedBy: "attribute.server = \(server)").count - 1
    }

    @Test func storesAndFindsAnItemWithItsSecret() throws {
        try store.store(item("alice", secret: "s3cret ünïcode \u{1F511}"), replacing: identity)
        let found = try store.search(identity, loadSecrets: true)
        #expect(found.count == 1)
        #expect(found.first?.secret == "s3cret ünïcode \u{1F511}")
        #expect(found.first?.label == "test alice for \(server)")
        #expect(found.first?.attributes["username"] == "alice")
        #expect(found.first?.attributes["xdg:schema"] == Self.schema.name)
        #expect(try secretToolCount() == 1)
    }

    /// Secrets as users and the API make them, including what KeePassXC would read as its
    /// placeholders (it expands `{TITLE}`, `{USERNAME}`, `{URL}` in a secret stored as text),
    /// written new and over an existing item.
    @Test(arguments: [
        "a}{TITLE}b", "p}{USERNAME}q", "{URL}", "ünïcode \u{1F511} 密码",
        #"quo"te's \back\slash"#, String(repeating: "0123456789abcdef", count: 4096),
    ])
    func whatIsStoredReadsBackByteForByte(_ secret: String) throws {
        try store.store(item("alice", secret: secret), replacing: identity)
        #expect(try store.search(identity, loadSecrets: true).map(\.secret) == [secret])
        try store.store(item("alice", secret: "x" + secret), replacing: identity)
        #expect(try store.search(identity, loadSecrets: true).map(\.secret) == ["x" + secret])
    }

    @Test func searchWithoutSecretsTransfersNone() throws {
        try store.store(item("alice", secret: "x"), replacing: identity)
        let found = try store.search(identity, loadSecrets: false)
        #expect(found.count == 1)
        #expect(found.first?.secret == nil)
    }

    @Test func absentIsEmptyNotAnError() throws {
        #expect(try store.search(identity, loadSecrets: true).isEmpty)
    }

    @Test func storingAnotherUsernameReplacesInsteadOfAddingASecondItem() throws {
        try store.store(item("alice", secret: "one"), replacing: identity)
        try store.store(item("bob", secret: "two"), replacing: identity)
        try store.store(item("bob", secret: "three"), replacing: identity)
        let found = try store.search(identity, loadSecrets: true)
        #expect(found.map(\.secret) == ["three"])
        #expect(found.first?.attributes["username"] == "bob")
        #expect(try secretToolCount() == 1)
    }

    @Test func replacingLeavesItemsOfOtherIdentitiesAlone() throws {
        let other = ["kind": "token", "server": server]
        try store.store(
            SecretItem(label: "token", attributes: other.merging(["username": "t"]) { $1 }, secret: "tok"),
            replacing: other)
        try store.store(item("alice", secret: "one"), replacing: identity)
        #expect(try store.search(other, loadSecrets: true).map(\.secret) == ["tok"])
        #expect(try store.search(["server": server], loadSecrets: false).count == 2)
    }

    @Test func severalSearchesAtOnceAnswerEachItsOwn() throws {
        let token = ["kind": "token", "server": server]
        try store.store(item("alice", secret: "one"), replacing: identity)
        try store.store(SecretItem(label: "token", attributes: token, secret: "tok"), replacing: token)
        let found = try store.search(
            each: [["server": server], token, ["server": server + ".nothing"], identity], loadSecrets: true)
        #expect(found.map(\.count) == [2, 1, 0, 1])
        #expect(Set(found[0].compactMap(\.secret)) == ["one", "tok"])
        #expect(found[1].first?.secret == "tok" && found[1].first?.label == "token")
        #expect(found[3].first?.attributes["username"] == "alice")
        let withoutSecrets = try store.search(each: [token, identity], loadSecrets: false)
        #expect(withoutSecrets.map(\.count) == [1, 1] && withoutSecrets.joined().allSatisfy { $0.secret == nil })
    }

    @Test func deleteRemovesExactlyTheMatchingItems() throws {
        let otherServer = server + ".other"
        try store.store(item("alice", secret: "one"), replacing: identity)
        try store.store(
            SecretItem(label: "token", attributes: ["kind": "token", "server": server], secret: "tok"),
            replacing: ["kind": "token", "server": server])
        try store.store(
            SecretItem(label: "other", attributes: ["kind": "registry-login", "server": otherServer], secret: "o"),
            replacing: ["kind": "registry-login", "server": otherServer])
        #expect(try store.delete(["server": server]) == 2)
        #expect(try store.search(["server": server], loadSecrets: false).isEmpty)
        #expect(try secretToolCount() == 0)
        #expect(try store.search(["server": otherServer], loadSecrets: true).map(\.secret) == ["o"])
        #expect(try store.delete(["server": server]) == 0)
        try store.delete(["server": otherServer])
    }

    @Test func aMissingCollectionIsReportedAsMissing() throws {
        let elsewhere = SecretServiceStore(
            schema: Self.schema, collection: "no-such-collection", environment: ProcessInfo.processInfo.environment,
            logger: Logger(label: "test"))
        let error = try #require(throws: SecretStoreError.self) { try elsewhere.search(identity, loadSecrets: false) }
        #expect(error.code == .collectionMissing)
        #expect(error.description.contains("no-such-collection"))
    }

    @Test func aCollectionCanBeNamedByItsLabel() throws {
        let byLabel = SecretServiceStore(
            schema: Self.schema, collection: PrivateKeyring.Service.current.defaultCollectionLabel,
            environment: ProcessInfo.processInfo.environment,
            logger: Logger(label: "test"))
        try store.store(item("alice", secret: "one"), replacing: identity)
        #expect(try byLabel.search(identity, loadSecrets: true).map(\.secret) == ["one"])
    }

    @Test func aCollectionNamedByItsLabelIsWrittenToo() throws {
        // Not an alias: the collection is found among the service's collections by its label.
        let byLabel = SecretServiceStore(
            schema: Self.schema, collection: PrivateKeyring.Service.current.defaultCollectionLabel,
            environment: ProcessInfo.processInfo.environment,
            logger: Logger(label: "test"))
        try store.store(item("alice", secret: "one"), replacing: identity)
        try byLabel.store(item("bob", secret: "two"), replacing: identity)
        #expect(try store.search(identity, loadSecrets: true).map(\.secret) == ["two"])
        #expect(try secretToolCount() == 1)
    }

    /// Created, then updated in place, either way: the bytes read back are the bytes written.
    @Test(arguments: [SecretTransfer.plain, .encrypted])
    func aSecretIsKeptAsWrittenWhicheverWayItCrosses(_ transfer: SecretTransfer) throws {
        let secret = #"{"password":"p\u007bTITLE\u007d ü 🔑 \"quoted\""}"#
        try store.store(item("alice", secret: "first"), replacing: identity, transfer: transfer)
        try store.store(item("alice", secret: secret), replacing: identity, transfer: transfer)
        #expect(try store.search(identity, loadSecrets: true).map(\.secret) == [secret])
        #expect(try secretToolCount() == 1)
    }

    /// Encrypted writes, each in a session of its own (a new store, a new connection), keep the
    /// bytes written at the first try: the store never had to write again in a new session,
    /// which it does, and logs, when the service refused a session or garbled what crossed it.
    /// Enough sessions that a public key of every shape comes by (a first bit set in half of
    /// them, which KWallet 5 sends with a zero byte before it).
    @Test func encryptedWritesInNewSessionsAreKeptAtTheFirstTry() throws {
        let said = LoggedMessages()
        for round in 0..<24 {
            let fresh = SecretServiceStore(
                schema: Self.schema, environment: ProcessInfo.processInfo.environment,
                logger: Logger(label: "test") { _ in said })
            let secret = "secret \(round) ü 🔑"
            try fresh.store(item("alice", secret: secret), replacing: identity, transfer: .encrypted)
            #expect(try store.search(identity, loadSecrets: true).map(\.secret) == [secret])
        }
        #expect(said.messages.filter { $0.contains("new session") || $0.contains("again") } == [])
        #expect(try secretToolCount() == 1)
    }

    @Test func aStoreWithoutABusSaysThereIsNone() throws {
        let busless = SecretServiceStore(
            schema: Self.schema, environment: ["XDG_RUNTIME_DIR": "/nonexistent"], logger: Logger(label: "test"))
        for transfer in [SecretTransfer.plain, .encrypted] {
            let error = try #require(throws: SecretStoreError.self) {
                try busless.store(item("alice", secret: "one"), replacing: identity, transfer: transfer)
            }
            #expect(error.code == .noSessionBus)
        }
    }

    @Test func noSessionBusIsSaidAndNoBusIsAutolaunched() throws {
        let busless = SecretServiceStore(
            schema: Self.schema, environment: ["XDG_RUNTIME_DIR": "/nonexistent"], logger: Logger(label: "test"))
        let error = try #require(throws: SecretStoreError.self) { try busless.search(identity, loadSecrets: false) }
        #expect(error.code == .noSessionBus)
    }
}

/// A log handler that keeps every message, for a test to read what the store said.
final class LoggedMessages: LogHandler, @unchecked Sendable {
    private let lock = NSLock()
    private var kept: [String] = []
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    var messages: [String] { lock.withLock { kept } }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        lock.withLock { kept.append("\(event.message)") }
    }
}
