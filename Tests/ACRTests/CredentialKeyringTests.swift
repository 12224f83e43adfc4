import SecretStore
import TestSupport
import Testing

@testable import ACR

/// The item layout over an in-memory store; the real keyring is exercised through the binary.
@Suite struct CredentialKeyringTests {
    let memory = InMemorySecretStore()
    var keyring: CredentialKeyring { CredentialKeyring(store: memory) }
    let server = try! ServerAddress(parsing: "reg.example.com:5000")

    @Test func savesALoginUnderKindAndServerWithTheSecretAsJSON() throws {
        try keyring.save(RegistryLogin(username: "alice", secret: "p<&>\"w"), for: server)
        let item = try #require(memory.all.first)
        #expect(memory.all.count == 1)
        #expect(item.attributes == ["kind": "registry-login", "server": "reg.example.com:5000", "username": "alice"])
        #expect(item.secret == #"{"username":"alice","secret":"p\u003c\u0026\u003e\"w"}"#)
        #expect(item.label == "Registry login alice for reg.example.com:5000")
        #expect(!item.label.contains("p<&>"))
        #expect(try keyring.registryLogin(for: server) == RegistryLogin(username: "alice", secret: "p<&>\"w"))
    }

    @Test func aNewLoginReplacesTheOldOneEvenUnderAnotherUsername() throws {
        try keyring.save(RegistryLogin(username: "alice", secret: "1"), for: server)
        try keyring.save(RegistryLogin(username: "bob", secret: "2"), for: server)
        #expect(memory.all.count == 1)
        #expect(try keyring.registryLogin(for: server) == RegistryLogin(username: "bob", secret: "2"))
    }

    @Test func theNewestItemWinsAfterAnInterruptedReplace() throws {
        let attributes = ["kind": "registry-login", "server": server.description]
        let old = SecretItem(
            label: "old", attributes: attributes.merging(["username": "a"]) { $1 },
            secret: #"{"username":"a","secret":"old"}"#, modified: 1)
        let new = SecretItem(
            label: "new", attributes: attributes.merging(["username": "b"]) { $1 },
            secret: #"{"username":"b","secret":"new"}"#, modified: 2)
        let keyring = CredentialKeyring(store: InMemorySecretStore(items: [old, new]))
        #expect(try keyring.registryLogin(for: server)?.secret == "new")
    }

    @Test func aDamagedItemIsSaidToBeDamagedWithoutShowingIt() throws {
        let item = SecretItem(
            label: "Registry login x for \(server)",
            attributes: ["kind": "registry-login", "server": server.description], secret: "not json hunter2")
        let keyring = CredentialKeyring(store: InMemorySecretStore(items: [item]))
        let error = #expect(throws: ACRError.self) { try keyring.registryLogin(for: server) }
        #expect(error?.code == .damagedItem)
        #expect(error?.message.contains("hunter2") == false)
        #expect(error?.message.contains("log in to reg.example.com:5000 again") == true)
    }

    /// A key's secret is read member by member: optional members may be missing or null, every
    /// member present must have its type, and a key with a role round-trips.
    @Test func aKeysSecretIsReadMemberByMember() throws {
        let key = AccessKey(
            id: "LTAI5tRoundTrip00001", secret: "s{e}cret\"", securityToken: nil,
            role: RAMRole(arn: "acs:ram::123:role/r", sessionName: "s", externalID: nil, policy: #"{"a":1}"#))
        try keyring.save(key, for: server)
        #expect(try keyring.storedKey(for: server) == key)

        func read(_ secret: String) throws -> AccessKey? {
            let item = SecretItem(
                label: "key", attributes: ["kind": "access-key", "server": server.description], secret: secret)
            return try CredentialKeyring(store: InMemorySecretStore(items: [item])).storedKey(for: server)
        }
        let plain = try read(#"{"access_key_id":"LTAI5tA","access_key_secret":"x","role_arn":null,"policy":null}"#)
        #expect(plain == AccessKey(id: "LTAI5tA", secret: "x"))
        for damaged in [
            #"{"access_key_id":"LTAI5tA"}"#, #"{"access_key_id":"LTAI5tA","access_key_secret":7}"#,
            #"{"access_key_id":"LTAI5tA","access_key_secret":"x","security_token":7}"#,
            #"{"access_key_id":"LTAI5tA","access_key_secret":"x","role_arn":["r"]}"#,
            #"["LTAI5tA","x"]"#, #"{"access_key_id":"LTAI5tA","access_key_secret":"x"} trailing"#,
        ] {
            let error = #expect(throws: ACRError.self, "\(damaged)") { try read(damaged) }
            #expect(error?.code == .damagedItem)
        }
    }

    /// A cached password needs whole-number times: anything else is no cached password at all.
    @Test func aCachedPasswordNeedsItsFourMembersWithTheirTypes() {
        func token(_ secret: String) -> CachedToken? {
            CredentialKeyring.cachedToken(
                SecretItem(
                    label: "t", attributes: ["kind": "token", "minted_by": "LTAI5tA", "endpoint": "https://e"],
                    secret: secret))
        }
        let good = #"{"username":"u","password":"p","expires_at":1800000000,"minted_at":1799990000}"#
        #expect(token(good)?.expiresAt == 1_800_000_000)
        #expect(token(good)?.password == "p")
        #expect(token(#"{"username":"u","password":"p","expires_at":"1800000000","minted_at":1799990000}"#) == nil)
        #expect(token(#"{"username":"u","password":"p","expires_at":1800000000.5,"minted_at":1799990000}"#) == nil)
        #expect(token(#"{"username":"u","expires_at":1800000000,"minted_at":1799990000}"#) == nil)
        #expect(token(#"{"username":"u","password":"p","expires_at":99999999999,"minted_at":1799990000}"#) == nil)
    }

    @Test func logoutRemovesTheLoginAndTokensOfExactlyThatHostButNeverAKey() throws {
        let other = try ServerAddress(parsing: "other.example.com")
        try keyring.save(RegistryLogin(username: "alice", secret: "1"), for: server)
        try keyring.save(RegistryLogin(username: "carol", secret: "3"), for: other)
        try memory.store(
            SecretItem(label: "token", attributes: ["kind": "token", "server": server.description], secret: "{}"),
            replacing: ["kind": "token", "server": server.description])
        try memory.store(
            SecretItem(label: "default key", attributes: ["kind": "access-key", "server": "*"], secret: "{}"),
            replacing: ["kind": "access-key", "server": "*"])
        try memory.store(
            SecretItem(
                label: "host key",
                attributes: ["kind": "access-key", "server": server.description, "access_key_id": "LTAIx"],
                secret: "{}"), replacing: ["kind": "access-key", "server": server.description])
        #expect(try keyring.removeLoginAndTokens(for: server) == (2, "LTAIx"))
        #expect(
            memory.all.map(\.label).sorted() == [
                "Registry login carol for other.example.com", "default key", "host key",
            ])
        #expect(try keyring.removeLoginAndTokens(for: server) == (0, "LTAIx"))
    }

    @Test func listsLoginsAndHostKeysFromAttributesButNeverTheDefaultKeyOrTokens() throws {
        try keyring.save(RegistryLogin(username: "alice", secret: "1"), for: server)
        let keyed = ["kind": "access-key", "server": "acr.example.com", "access_key_id": "LTAI5tExample"]
        try memory.store(SecretItem(label: "k", attributes: keyed, secret: "{}"), replacing: keyed)
        let both = ["kind": "access-key", "server": server.description, "access_key_id": "LTAI5tBoth"]
        try memory.store(SecretItem(label: "k2", attributes: both, secret: "{}"), replacing: both)
        let fallback = ["kind": "access-key", "server": "*", "access_key_id": "LTAI5tDefault"]
        try memory.store(SecretItem(label: "d", attributes: fallback, secret: "{}"), replacing: fallback)
        let token = ["kind": "token", "server": "tok.example.com"]
        try memory.store(SecretItem(label: "t", attributes: token, secret: "{}"), replacing: token)
        #expect(
            try keyring.hostScopedUsernames() == [
                "reg.example.com:5000": "LTAI5tBoth", "acr.example.com": "LTAI5tExample",
            ])
    }

    @Test func keyringFailuresNameWhatWasBeingDoneAndKeepTheCause() {
        memory.failure = SecretStoreError(.collectionLocked, collection: "Login")
        let error = #expect(throws: ACRError.self) { try keyring.registryLogin(for: server) }
        #expect(error?.code == .keyring)
        #expect(error?.message.hasPrefix("cannot read credentials for reg.example.com:5000: ") == true)
        #expect(error?.message.contains("\"Login\" is locked") == true)
        #expect(error?.hint?.contains("gnome-keyring-daemon --replace --unlock") == true)
    }
}
