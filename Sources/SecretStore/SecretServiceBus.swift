import Crypto
import Glibc

// The org.freedesktop.Secret calls over the helper's own D-Bus connection (BusConnection.swift):
// fewer of them than a Secret Service library makes (no proxy objects loading every property, no
// Diffie-Hellman exchange for a read), several in flight at once, every reply's type checked before
// it is read, and every prompt the service returns seen here, so that none is waited on without a
// bound. The secrets of an encrypted write cross an encrypted session (EncryptedSession.swift).
//
// Reads, and writes asked to be plain, use a "plain" session: secrets cross the user's own
// session-bus socket unencrypted, as libsecret also falls back to. A process that could eavesdrop
// there runs as the same user and could as well ask the Secret Service for the secret itself.

/// Item attributes as the Secret Service takes them (an `a{ss}`), with the schema's name under
/// `xdg:schema` as libsecret stores it.
func attributesValue(_ attributes: [String: String], schema: SecretSchema) -> BusValue {
    .stringDictionary(attributes.merging(["xdg:schema": schema.name]) { $1 })
}

extension BusCall {
    /// A call to the Secret Service (or to `destination`).
    init(
        _ path: String, _ interface: String, _ name: String, _ arguments: [BusValue], reply: String,
        destination: String = SecretServiceOperation.busName
    ) {
        self.init(
            destination: destination, path: path, interface: interface, name: name, arguments: arguments,
            reply: reply)
    }

    static func service(_ name: String, _ arguments: [BusValue], reply: String) -> BusCall {
        BusCall(SecretServiceOperation.servicePath, "org.freedesktop.Secret.Service", name, arguments, reply: reply)
    }

    /// `org.freedesktop.DBus.Properties.Get` of a collection's or an item's property.
    static func property(_ path: String, _ interface: String, _ name: String) -> BusCall {
        BusCall(
            path, "org.freedesktop.DBus.Properties", "Get",
            [.string("org.freedesktop.Secret." + interface), .string(name)], reply: "(v)")
    }
}

/// The object paths of a reply whose first member is an `ao`.
private func itemPaths(_ reply: BusValue) -> [String] {
    let list = reply.child(0)
    return (0..<list.count).compactMap { list.child($0).string }
}

/// One item as read from the bus.
struct BusItem {
    var item: SecretItem
    /// Locked for this program: the service (KeePassXC) wants the user to allow it first.
    var locked: Bool
}

/// An item's properties from `GetAll`'s `a{sv}`, each read only when of the type it must be.
func itemProperties(_ properties: BusValue) -> BusItem {
    var read = BusItem(item: SecretItem(label: "", attributes: [:], secret: nil), locked: false)
    for index in 0..<properties.count {
        let entry = properties.child(index)
        guard let name = entry.child(0).string, let value = entry.child(1).unboxed else { continue }
        switch name {
        case "Label": read.item.label = value.string ?? ""
        case "Modified": read.item.modified = value.uint64 ?? 0
        case "Locked": read.locked = value.boolean ?? false
        case "Attributes" where value.isOf("a{ss}"):
            for pair in 0..<value.count {
                let attribute = value.child(pair)
                if let key = attribute.child(0).string, let text = attribute.child(1).string {
                    read.item.attributes[key] = text
                }
            }
        default: continue
        }
    }
    return read
}

/// An item's properties from a whole `GetAll` reply in D-Bus's wire format (untrusted bytes), read
/// as a reply from the bus is: what the fuzz target of D-Bus replies feeds. `nil` when the bytes
/// are no reply of that type.
func itemProperties(wireFormat bytes: [UInt8]) -> BusItem? {
    guard case .success(let reply) = BusConnection.read(wireFormat: bytes, as: "(a{sv})") else { return nil }
    return itemProperties(reply.child(0))
}

/// What a search finds in a collection.
struct CollectionSearch {
    /// The collection's own object path (not the alias's).
    let path: String
    let locked: Bool
    /// The item paths found for each query.
    let found: [[String]]
}

extension SecretServiceOperation {
    static let busName = "org.freedesktop.secrets"
    static let servicePath = "/org/freedesktop/secrets"

    /// One method call: ``methods(_:_:)`` with one call.
    private func method(_ connection: BusConnection, _ call: BusCall) throws(SecretStoreError) -> BusValue {
        try methods(connection, [call])[0]
    }

    /// ``results(_:_:)``, throwing the first call's error if any failed.
    private func methods(_ connection: BusConnection, _ calls: [BusCall]) throws(SecretStoreError) -> [BusValue] {
        var replies: [BusValue] = []
        for result in results(connection, calls) {
            switch result {
            case .success(let reply): replies.append(reply)
            case .failure(let error): throw error
            }
        }
        return replies
    }

    /// Makes `calls` all at once and waits for every reply, until the operation's deadline.
    /// - Returns: each call's reply or error, in the order of `calls`.
    private func results(_ connection: BusConnection, _ calls: [BusCall]) -> [Result<BusValue, SecretStoreError>] {
        connection.results(calls, deadline: deadline).map { $0.mapError { translate($0) } }
    }

    /// The session bus connection, made once for the store.
    private func sessionBus() throws(SecretStoreError) -> BusConnection {
        try kept.sessionBus { () throws(SecretStoreError) in
            guard let address = kept.address else { throw .noBusAddress(collection: collectionName) }
            do throws(BusFailure) {
                return try BusConnection.open(address: address, deadline: deadline)
            } catch {
                throw translate(error)
            }
        }
    }

    /// A reply the service gave in a shape it should not have.
    private func malformed(_ what: String) -> SecretStoreError {
        SecretStoreError(
            .other, collection: collectionName, detail: "the Secret Service's answer to \(what) is malformed")
    }

    // MARK: - Searching

    /// Finds the collection `name` (an alias, else a label) wherever it points now, and searches
    /// it for each of `queries`: `ReadAlias` first, alone, then the collection's `Locked` property
    /// and the searches in one round of calls in flight together, at the collection's own path.
    /// Only the collection is searched (its own `SearchItems`, not the service's): KeePassXC's
    /// service-wide search waits on an unlock dialog while every database is locked.
    ///
    /// Why `ReadAlias` goes alone: GNOME Keyring registers each new client in its main loop after
    /// the client's first calls arrive, and under concurrent clients it can run those calls
    /// first, as from nobody: `ReadAlias` then answers `/` (asked once more, below), but a
    /// property read or `OpenSession` aborts the whole daemon, and every program loses its
    /// keyring. Once one call has been answered, the client is known. And the alias's own path
    /// (`…/aliases/default`) is never called: GNOME Keyring rewrites it in another thread than the
    /// one that updates the alias, and under concurrent clients has sent such calls to paths
    /// that do not exist.
    /// - Parameter openingSession: the caller reads secrets next (a `get`): the plain session they
    ///   cross through is opened in the search's round, when none is open yet, saving a round trip.
    /// - Returns: what was found, or `nil` when there is no such collection.
    func searchCollection(
        named name: String, queries: [[String: String]], schema: SecretSchema, openingSession: Bool
    ) throws(SecretStoreError) -> CollectionSearch? {
        let connection = try sessionBus()
        var alias = try method(connection, Self.readAlias(name))
        // GNOME Keyring's answer to a client's first call, as above; asked again, it is right.
        if alias.child(0).string == "/" { alias = try method(connection, Self.readAlias(name)) }
        guard let path = try collectionPath(named: name, aliasPath: alias) else { return nil }
        var calls = [BusCall.property(path, "Collection", "Locked")] + queries.map { searchCall(path, $0, schema) }
        let opening = openingSession && !kept.hasPlainSession
        if opening { calls.append(Self.openPlainSession) }
        var replies = results(connection, calls)
        // A session that failed to open is opened again, and its failure reported, when read through.
        if opening, let opened = try? replies.removeLast().get().child(1).string {
            _ = try? kept.plainSession { () throws(SecretStoreError) in opened }
        }
        let answers = try replies.map { result throws(SecretStoreError) in try result.get() }
        guard let locked = answers[0].child(0).unboxed?.boolean else { throw malformed("Locked") }
        return try checked(CollectionSearch(path: path, locked: locked, found: answers.dropFirst().map(itemPaths)))
    }

    /// `Service.ReadAlias` of `name`: the path of the collection it names, `/` for none.
    private static func readAlias(_ name: String) -> BusCall {
        BusCall.service("ReadAlias", [.string(name)], reply: "(o)")
    }

    /// The most items one search may find: far more than the helper ever stores (a few per
    /// registry host), few enough that reading each stays bounded.
    static let mostItemsPerSearch = 10_000

    /// `search`, unless a search found more items than any real keyring of the helper's holds.
    private func checked(_ search: CollectionSearch) throws(SecretStoreError) -> CollectionSearch {
        if let huge = search.found.first(where: { $0.count > Self.mostItemsPerSearch }) {
            throw SecretStoreError(
                .other, collection: collectionName,
                detail: "the Secret Service answered \(huge.count) items for one search: refused")
        }
        return search
    }

    private func searchCall(_ collection: String, _ query: [String: String], _ schema: SecretSchema) -> BusCall {
        BusCall(
            collection, "org.freedesktop.Secret.Collection", "SearchItems", [attributesValue(query, schema: schema)],
            reply: "(ao)")
    }

    /// The collection's own path, from `ReadAlias`'s reply; else the collection whose label is
    /// `name`; `nil` when there is neither.
    private func collectionPath(named name: String, aliasPath reply: BusValue) throws(SecretStoreError) -> String? {
        guard let path = reply.child(0).string else { throw malformed("ReadAlias") }
        if path != "/" { return path }
        if name == "default" { return nil }
        let connection = try sessionBus()
        let collections = try method(connection, BusCall.property(Self.servicePath, "Service", "Collections"))
        guard let list = collections.child(0).unboxed, list.isOf("ao") else { throw malformed("Collections") }
        let paths = (0..<list.count).compactMap { list.child($0).string }
        let labels = try methods(connection, paths.map { BusCall.property($0, "Collection", "Label") })
        return zip(paths, labels).first { $0.1.child(0).unboxed?.string == name }?.0
    }

    /// The label users see for a collection, such as "Login"; `nil` when it cannot be read.
    func collectionLabel(_ path: String) -> String? {
        guard let connection = try? sessionBus(),
            let reply = try? method(connection, BusCall.property(path, "Collection", "Label"))
        else { return nil }
        return reply.child(0).unboxed?.string
    }

    // MARK: - Reading items

    /// Reads the items at `paths` (label, attributes, modification time, whether locked, and the
    /// secrets when asked) in one round of calls in flight together; and, for each of
    /// `crossChecks`, which items of other collections the service finds for it.
    /// - Parameter collection: the collection's own path.
    /// - Returns: the items by path, and the paths of items found in collections other than
    ///   `collection`.
    func readItems(
        _ paths: [String], secrets: Bool, crossChecks: [[String: String]], schema: SecretSchema,
        collection: String
    ) throws(SecretStoreError) -> (items: [String: BusItem], elsewhere: [String]) {
        let connection = try sessionBus()
        var calls = paths.map {
            BusCall(
                $0, "org.freedesktop.DBus.Properties", "GetAll", [.string("org.freedesktop.Secret.Item")],
                reply: "(a{sv})")
        }
        calls += crossChecks.map {
            BusCall.service("SearchItems", [attributesValue($0, schema: schema)], reply: "(aoao)")
        }
        var session: String? = nil
        if secrets && !paths.isEmpty {
            session = try plainSession(connection)
            calls.append(
                BusCall.service(
                    "GetSecrets", [.objectPaths(paths), .objectPath(session ?? "/")], reply: "(a{o(oayays)})"))
        }
        let replies = results(connection, calls)

        var items: [String: BusItem] = [:]
        for (path, result) in zip(paths, replies) {
            items[path] = itemProperties(try result.get().child(0))
        }
        var elsewhere: [String] = []
        for result in replies.dropFirst(paths.count).prefix(crossChecks.count) {
            elsewhere += itemPaths(try result.get()).filter { !$0.hasPrefix(collection + "/") }
        }
        if session != nil, let secretsResult = replies.last {
            switch secretsResult {
            case .success(let reply):
                let secrets = reply.child(0)
                for index in 0..<secrets.count {
                    let entry = secrets.child(index)
                    // (session, parameters, value, content type): the value is the secret, as sent.
                    guard let path = entry.child(0).string else { continue }
                    items[path]?.item.secret = String(decoding: entry.child(1).child(2).bytes, as: UTF8.self)
                }
            case .failure(let error):
                // An item locked for this program fails the whole call (KeePassXC): the caller
                // says that; any other failure is the answer.
                if !items.values.contains(where: \.locked) { throw error }
            }
        }
        return (items, elsewhere)
    }

    /// `Service.OpenSession` of a plain session: its reply's second member is the session's path.
    private static var openPlainSession: BusCall {
        BusCall.service(
            "OpenSession", [.string("plain"), .variant(.string(""))],
            reply: "(vo)")
    }

    /// The plain session the store reads secrets through, opened once.
    private func plainSession(_ connection: BusConnection) throws(SecretStoreError) -> String {
        try kept.plainSession { () throws(SecretStoreError) in
            guard let path = try method(connection, Self.openPlainSession).child(1).string else {
                throw malformed("OpenSession")
            }
            return path
        }
    }

    /// The encrypted session the store writes secrets through, negotiated once: a few tries, as a
    /// service's public key may give a secret ``EncryptedSession`` does not use.
    private func encryptedSession(_ connection: BusConnection) throws(SecretStoreError) -> EncryptedSession {
        try kept.encryptedSession { () throws(SecretStoreError) in
            if let failure = Crypto.unavailable {
                throw SecretStoreError(
                    .other, collection: collectionName,
                    detail: "cannot load libgcrypt (\(failure)) for the encrypted session: install libgcrypt20")
            }
            for _ in 0..<3 {
                let offer = EncryptedSession.Offer()
                let reply = try method(
                    connection,
                    BusCall.service(
                        "OpenSession",
                        [.string(EncryptedSession.algorithm), .variant(.bytes(offer.publicKey))], reply: "(vo)"))
                guard let output = reply.child(0).unboxed, output.isOf("ay"), let path = reply.child(1).string else {
                    throw malformed("OpenSession")
                }
                if let session = EncryptedSession(path: path, offer: offer, peerPublicKey: output.bytes) {
                    return session
                }
            }
            throw malformed("OpenSession (its public key)")
        }
    }

    /// Runs `body`; when it fails in a way that may come from the plain session having gone stale
    /// (the Secret Service restarted), forgets it and runs `body` once more.
    func unlessStale<T>(_ body: () throws(SecretStoreError) -> T) throws(SecretStoreError) -> T {
        do {
            return try body()
        } catch  where error.code == .other && kept.forgetPlainSession() {
            return try body()
        }
    }

    /// `item`'s secret as `Item.SetSecret` and `Collection.CreateItem` take it, sent as `transfer`
    /// says (an `(oayays)`: the session, its parameters, the value, the content type).
    /// - Parameter fresh: through a new session, not the one kept (which may be stale, or one the
    ///   service garbled what crossed).
    func secret(_ item: SecretItem, _ transfer: SecretTransfer, fresh: Bool) throws(SecretStoreError) -> BusValue {
        let connection = try sessionBus()
        let plaintext = Array((item.secret ?? "").utf8)
        let session: String
        let parameters: [UInt8]
        let value: [UInt8]
        switch transfer {
        case .encrypted:
            if fresh { kept.forgetEncryptedSession() }
            let encrypted = try encryptedSession(connection)
            session = encrypted.path
            (parameters, value) = encrypted.encrypt(plaintext)
        case .plain:
            if fresh { kept.forgetPlainSession() }
            session = try plainSession(connection)
            (parameters, value) = ([], plaintext)
        }
        return .structure([.objectPath(session), .bytes(parameters), .bytes(value), .string(SecretItem.contentType)])
    }

    // MARK: - Writing items

    /// `Collection.CreateItem` (not replacing: the caller has looked for the item to update first,
    /// and KeePassXC answers a replacing create of an existing item with a prompt no one may be
    /// there to answer), with a secret as ``secret(_:_:fresh:)`` sends it. A prompt the
    /// service returns (KeePassXC does for every new item) is shown, and the new item looked for
    /// until it appears, at most `promptLimit`.
    /// - Returns: the new item's path, or `nil` when a prompt did not complete in time.
    func createItem(
        in collection: String, _ item: SecretItem, encoded: BusValue, schema: SecretSchema,
        promptLimit: Duration
    ) throws(SecretStoreError) -> String? {
        let connection = try sessionBus()
        let properties = BusValue.array(
            element: "{sv}",
            [
                .dictEntry(.string("org.freedesktop.Secret.Item.Label"), .variant(.string(item.label))),
                .dictEntry(
                    .string("org.freedesktop.Secret.Item.Attributes"),
                    .variant(attributesValue(item.attributes, schema: schema))),
            ])
        let reply = try method(
            connection,
            BusCall(
                collection, "org.freedesktop.Secret.Collection", "CreateItem",
                [properties, encoded, .boolean(false)], reply: "(oo)"))
        guard let created = reply.child(0).string, let prompt = reply.child(1).string else {
            throw malformed("CreateItem")
        }
        if created != "/" { return created }
        guard prompt != "/" else { throw malformed("CreateItem") }
        _ = try method(
            connection,
            BusCall(prompt, "org.freedesktop.Secret.Prompt", "Prompt", [.string("")], reply: "()"))
        var found: String? = nil
        _ = try poll(within: promptLimit, every: .milliseconds(20)) { () throws(SecretStoreError) in
            let search = try method(connection, searchCall(collection, item.attributes, schema))
            found = itemPaths(search).first
            return found != nil
        }
        return found
    }

    /// `Item.SetSecret` with a secret as ``secret(_:_:fresh:)`` sends it.
    func setSecret(_ path: String, encoded: BusValue) throws(SecretStoreError) {
        _ = try method(
            try sessionBus(), BusCall(path, "org.freedesktop.Secret.Item", "SetSecret", [encoded], reply: "()"))
    }

    /// Sets an item's label and attributes (`Properties.Set`), both in one round.
    func setProperties(_ path: String, label: String?, attributes: [String: String]?, schema: SecretSchema)
        throws(SecretStoreError)
    {
        var calls: [BusCall] = []
        func set(_ name: String, _ value: BusValue) -> BusCall {
            BusCall(
                path, "org.freedesktop.DBus.Properties", "Set",
                [.string("org.freedesktop.Secret.Item"), .string(name), .variant(value)], reply: "()")
        }
        if let label { calls.append(set("Label", .string(label))) }
        if let attributes { calls.append(set("Attributes", attributesValue(attributes, schema: schema))) }
        _ = try methods(try sessionBus(), calls)
    }

    /// `Item.Delete`.
    /// - Returns: the prompt the service wants shown first (KeePassXC confirms deletions), or
    ///   `nil` when the item is gone.
    func deleteItem(_ path: String) throws(SecretStoreError) -> String? {
        let reply = try method(
            try sessionBus(), BusCall(path, "org.freedesktop.Secret.Item", "Delete", [], reply: "(o)"))
        guard let prompt = reply.child(0).string else { throw malformed("Delete") }
        return prompt == "/" ? nil : prompt
    }

    /// Shows `prompt` (`Prompt.Prompt`) and waits, at most `limit`, until the item at `path` is gone.
    /// - Parameter dismissing: dismiss the prompt (`Prompt.Dismiss`) when it did not complete.
    /// - Returns: whether it is gone.
    func confirmDeletion(_ prompt: String, of path: String, within limit: Duration, dismissing: Bool)
        throws(SecretStoreError) -> Bool
    {
        let connection = try sessionBus()
        let promptInterface = "org.freedesktop.Secret.Prompt"
        _ = try method(connection, BusCall(prompt, promptInterface, "Prompt", [.string("")], reply: "()"))
        let gone = try poll(within: limit, every: .milliseconds(20)) { () throws(SecretStoreError) in
            // A deleted item's path no longer answers.
            guard case .failure(let error) = results(connection, [BusCall.property(path, "Item", "Label")]).first
            else { return false }
            if error.code == .other { return true }
            throw error
        }
        if !gone && dismissing {
            _ = try? method(connection, BusCall(prompt, promptInterface, "Dismiss", [], reply: "()"))
        }
        return gone
    }

    // MARK: - Unlocking

    /// Asks the Secret Service to unlock the collections or items at `paths` (`Unlock`, then
    /// `Prompt` on the prompt it returns: the user's display shows it), then watches their
    /// `Locked` property until it clears or `limit` passes. libsecret's own unlock waits for the
    /// prompt's end however long it takes, cancellable or not.
    /// - Parameter interface: `Collection` or `Item`, whichever `paths` are.
    /// - Returns: whether all are unlocked.
    func unlock(_ paths: [String], interface: String, within limit: Duration) throws(SecretStoreError) -> Bool {
        let connection = try sessionBus()
        let reply = try method(connection, BusCall.service("Unlock", [.objectPaths(paths)], reply: "(aoo)"))
        let unlocked = Set(itemPaths(reply))
        if paths.allSatisfy(unlocked.contains) { return true }
        guard let prompt = reply.child(1).string, prompt != "/" else { return false }
        _ = try method(
            connection,
            BusCall(prompt, "org.freedesktop.Secret.Prompt", "Prompt", [.string("")], reply: "()"))
        // Not Dismiss when the time is up: gnome-keyring 42 aborts on an assertion when a prompt it
        // is showing is dismissed (gkd-secret-unlock.c: perform_next_unlock). The prompt stays on
        // the display for the user; this process reports and goes.
        return try poll(within: limit) { () throws(SecretStoreError) in
            let locked = try methods(connection, paths.map { BusCall.property($0, interface, "Locked") })
            return locked.allSatisfy { $0.child(0).unboxed?.boolean == false }
        }
    }

    /// Calls `done` every `interval` until it says yes or `limit` passes.
    private func poll(
        within limit: Duration, every interval: Duration = .milliseconds(100),
        _ done: () throws(SecretStoreError) -> Bool
    ) throws(SecretStoreError) -> Bool {
        let clock = ContinuousClock()
        let deadline = clock.now + limit
        while clock.now < deadline {
            if try done() { return true }
            usleep(UInt32(interval / .microseconds(1)))
        }
        return try done()
    }

    // MARK: - Which service

    /// The program that owns `org.freedesktop.secrets`, by its process name: the bus says which
    /// process it is (`GetConnectionUnixProcessID`), `/proc` its name. `nil` when either cannot
    /// tell.
    func product() -> SecretServiceProduct? {
        guard let connection = try? sessionBus(),
            let reply = try? method(
                connection,
                BusCall(
                    "/org/freedesktop/DBus", "org.freedesktop.DBus", "GetConnectionUnixProcessID",
                    [.string(Self.busName)], reply: "(u)", destination: "org.freedesktop.DBus")),
            let pid = reply.child(0).uint32
        else { return nil }
        guard let file = fopen("/proc/\(pid)/comm", "r") else { return nil }
        defer { fclose(file) }
        var buffer = [CChar](repeating: 0, count: 64)
        guard fgets(&buffer, Int32(buffer.count), file) != nil else { return nil }
        let name = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return SecretServiceProduct(processName: name.trimmingSuffix("\n"))
    }
}

extension String {
    fileprivate func trimmingSuffix(_ suffix: String) -> String {
        hasSuffix(suffix) ? String(dropLast(suffix.count)) : self
    }
}
