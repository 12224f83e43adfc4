internal import CSecret
import Crypto
import Glibc

// The org.freedesktop.Secret calls over GDBus directly: fewer of them than libsecret makes (no proxy
// objects loading every property, no Diffie-Hellman exchange for a read), several in flight at
// once, every reply's type checked by GDBus before it is read, and every prompt the service
// returns seen here, so that none is waited on without a bound. The secrets of an encrypted write
// cross an encrypted session (EncryptedSession.swift).
//
// Reads, and writes asked to be plain, use a "plain" session: secrets cross the user's own
// session-bus socket unencrypted, as libsecret also falls back to. A process that could eavesdrop
// there runs as the same user and could as well ask the Secret Service for the secret itself.

/// An owned GVariant reference, read only as the type GDBus checked it to be.
final class VariantRef {
    let pointer: OpaquePointer
    init(_ pointer: OpaquePointer) { self.pointer = pointer }
    deinit { g_variant_unref(pointer) }

    /// Child `index` (`g_variant_get_child_value`, a new reference); the caller knows the type.
    func child(_ index: Int) -> VariantRef { VariantRef(g_variant_get_child_value(pointer, gsize(index))) }
    /// The number of children of a container, 0 for anything else.
    var count: Int { g_variant_is_container(pointer) != 0 ? Int(g_variant_n_children(pointer)) : 0 }
    /// A string or object path (copied), or `nil` for a value of another type.
    var string: String? {
        guard isOf("s") || isOf("o") else { return nil }
        return String(cString: g_variant_get_string(pointer, nil))
    }
    /// A boolean, or `nil` for a value of another type.
    var boolean: Bool? { isOf("b") ? g_variant_get_boolean(pointer) != 0 : nil }
    /// A 64-bit unsigned number, or `nil` for a value of another type.
    var uint64: UInt64? { isOf("t") ? UInt64(g_variant_get_uint64(pointer)) : nil }
    /// The value inside a `v`, or `nil` when this is not one.
    var unboxed: VariantRef? { isOf("v") ? VariantRef(g_variant_get_variant(pointer)) : nil }
    /// The bytes of an `ay` (empty for another type).
    var bytes: [UInt8] {
        var length = 0
        guard isOf("ay"), let start = g_variant_get_fixed_array(pointer, &length, 1), length > 0 else { return [] }
        return Array(UnsafeRawBufferPointer(start: start, count: length))
    }

    /// Whether the value has the type `signature`.
    func isOf(_ signature: String) -> Bool {
        // A GVariantType is its signature's characters (g_variant_type_checked_).
        signature.withCString { g_variant_is_of_type(pointer, OpaquePointer($0)) != 0 }
    }
}

/// A floating `ay` GVariant of a copy of `bytes`.
func bytesVariant(_ bytes: [UInt8]) -> OpaquePointer? {
    bytes.withUnsafeBytes { buffer in
        "y".withCString { g_variant_new_fixed_array(OpaquePointer($0), buffer.baseAddress, gsize(buffer.count), 1) }
    }
}

/// A floating array GVariant taking the floating `children` (at least one: the element type is
/// theirs).
func arrayVariant(_ children: [OpaquePointer?]) -> OpaquePointer {
    children.withUnsafeBufferPointer { g_variant_new_array(nil, $0.baseAddress, gsize($0.count)) }
}

/// Item attributes as the Secret Service takes them (a floating `a{ss}`), with the schema's name
/// under `xdg:schema` as libsecret stores it.
func attributesVariant(_ attributes: [String: String], schema: SecretSchema) -> OpaquePointer {
    let all = attributes.merging(["xdg:schema": schema.name]) { $1 }
    return arrayVariant(
        all.sorted { $0.key < $1.key }.map {
            g_variant_new_dict_entry(g_variant_new_string($0.key), g_variant_new_string($0.value))
        })
}

/// One Secret Service method call, for ``SecretServiceOperation/results(_:_:)``.
private struct BusCall {
    let destination: String
    let path: String
    let interface: String
    let name: String
    /// Floating GVariants, taken by the call.
    let arguments: [OpaquePointer?]
    /// The reply's type, which GDBus checks before anything here reads it.
    let reply: String

    init(
        _ path: String, _ interface: String, _ name: String, _ arguments: [OpaquePointer?], reply: String,
        destination: String = SecretServiceOperation.busName
    ) {
        self.destination = destination
        self.path = path
        self.interface = interface
        self.name = name
        self.arguments = arguments
        self.reply = reply
    }

    static func service(_ name: String, _ arguments: [OpaquePointer?], reply: String) -> BusCall {
        BusCall(SecretServiceOperation.servicePath, "org.freedesktop.Secret.Service", name, arguments, reply: reply)
    }

    /// `org.freedesktop.DBus.Properties.Get` of a collection's or an item's property.
    static func property(_ path: String, _ interface: String, _ name: String) -> BusCall {
        BusCall(
            path, "org.freedesktop.DBus.Properties", "Get",
            [g_variant_new_string("org.freedesktop.Secret." + interface), g_variant_new_string(name)], reply: "(v)")
    }
}

/// Where an async call's callback leaves its outcome.
private final class PendingReply {
    var reply: OpaquePointer?
    var error: UnsafeMutablePointer<GError>?
    var done = false
}

/// The object paths of a reply whose first member is an `ao`.
private func itemPaths(_ reply: VariantRef) -> [String] {
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
func itemProperties(_ properties: VariantRef) -> BusItem {
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

/// An item's properties as a serialised `(a{sv})` (GVariant's own format, untrusted), read as a
/// `GetAll` reply is: what the fuzz target of D-Bus replies feeds.
func itemProperties(serialized bytes: [UInt8]) -> BusItem {
    let data = bytes.withUnsafeBytes { g_bytes_new($0.baseAddress, gsize($0.count)) }
    defer { g_bytes_unref(data) }
    let variant = "(a{sv})".withCString { g_variant_new_from_bytes(OpaquePointer($0), data, 0) }
    let reply = VariantRef(g_variant_ref_sink(variant))
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
    private func method(_ connection: OpaquePointer, _ call: BusCall) throws(SecretStoreError) -> VariantRef {
        try methods(connection, [call])[0]
    }

    /// ``results(_:_:)``, throwing the first call's error if any failed.
    private func methods(_ connection: OpaquePointer, _ calls: [BusCall]) throws(SecretStoreError) -> [VariantRef] {
        var replies: [VariantRef] = []
        for result in results(connection, calls) {
            switch result {
            case .success(let reply): replies.append(reply)
            case .failure(let error): throw error
            }
        }
        return replies
    }

    /// Makes `calls` all at once (`g_dbus_connection_call`, each with its reply type) and waits for
    /// every reply in a main context of this thread's own, each call bounded by the session's
    /// deadline both ways: the call's own time-out and the cancellable.
    /// - Returns: each call's reply or error, in the order of `calls`.
    private func results(_ connection: OpaquePointer, _ calls: [BusCall]) -> [Result<VariantRef, SecretStoreError>] {
        let context = g_main_context_new()
        // Async calls deliver their replies to the thread-default context of the caller.
        g_main_context_push_thread_default(context)
        defer {
            g_main_context_pop_thread_default(context)
            g_main_context_unref(context)
        }
        let pending = calls.map { _ in PendingReply() }
        for (call, box) in zip(calls, pending) {
            // The tuple takes the floating children; the call takes the floating tuple.
            let parameters = call.arguments.withUnsafeBufferPointer {
                g_variant_new_tuple($0.baseAddress, gsize($0.count))
            }
            let replyType = g_variant_type_new(call.reply)
            defer { g_variant_type_free(replyType) }
            g_dbus_connection_call(
                connection, call.destination, call.path, call.interface, call.name, parameters, replyType,
                G_DBUS_CALL_FLAGS_NONE, Int32(timeoutMilliseconds), cancellableForCalls,
                { source, result, context in
                    // GIO calls back exactly once per call, cancelled and timed out included.
                    let box = Unmanaged<PendingReply>.fromOpaque(context!).takeRetainedValue()
                    box.reply = g_dbus_connection_call_finish(OpaquePointer(source), result, &box.error)
                    box.done = true
                }, Unmanaged.passRetained(box).toOpaque())
        }
        while pending.contains(where: { !$0.done }) { g_main_context_iteration(context, 1) }
        return zip(calls, pending).map { call, box in
            if let error = box.error {
                box.error = nil
                // The connection is made (sessionBus): a GIO error here is the call's, not the bus's.
                return .failure(translate(error, connecting: false))
            }
            guard let reply = box.reply else {
                return .failure(SecretStoreError(.other, collection: collectionName, detail: "\(call.name): no reply"))
            }
            return .success(VariantRef(reply))
        }
    }

    /// The session bus connection (`g_bus_get_sync`), made once for the store.
    private func sessionBus() throws(SecretStoreError) -> OpaquePointer {
        try kept.sessionBus { () throws(SecretStoreError) in
            let connection = try call(connecting: true) {
                g_bus_get_sync(G_BUS_TYPE_SESSION, cancellableForCalls, $0)
            }
            guard let connection else { throw SecretStoreError(.noSessionBus, detail: "no connection") }
            // GLib's default for this connection is to exit the process when the bus goes away; a
            // helper (or a program using this library) must report that instead.
            g_dbus_connection_set_exit_on_close(connection, 0)
            return connection
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
        BusCall.service("ReadAlias", [g_variant_new_string(name)], reply: "(o)")
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
            collection, "org.freedesktop.Secret.Collection", "SearchItems", [attributesVariant(query, schema: schema)],
            reply: "(ao)")
    }

    /// The collection's own path, from `ReadAlias`'s reply; else the collection whose label is
    /// `name`; `nil` when there is neither.
    private func collectionPath(named name: String, aliasPath reply: VariantRef) throws(SecretStoreError) -> String? {
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
                $0, "org.freedesktop.DBus.Properties", "GetAll", [g_variant_new_string("org.freedesktop.Secret.Item")],
                reply: "(a{sv})")
        }
        calls += crossChecks.map {
            BusCall.service("SearchItems", [attributesVariant($0, schema: schema)], reply: "(aoao)")
        }
        var session: String? = nil
        if secrets && !paths.isEmpty {
            session = try plainSession(connection)
            let pathArray = arrayVariant(paths.map { g_variant_new_object_path($0) })
            calls.append(
                BusCall.service(
                    "GetSecrets", [pathArray, g_variant_new_object_path(session ?? "/")], reply: "(a{o(oayays)})"))
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
            "OpenSession", [g_variant_new_string("plain"), g_variant_new_variant(g_variant_new_string(""))],
            reply: "(vo)")
    }

    /// The plain session the store reads secrets through, opened once.
    private func plainSession(_ connection: OpaquePointer) throws(SecretStoreError) -> String {
        try kept.plainSession { () throws(SecretStoreError) in
            guard let path = try method(connection, Self.openPlainSession).child(1).string else {
                throw malformed("OpenSession")
            }
            return path
        }
    }

    /// The encrypted session the store writes secrets through, negotiated once: a few tries, as a
    /// service's public key may give a secret ``EncryptedSession`` does not use.
    private func encryptedSession(_ connection: OpaquePointer) throws(SecretStoreError) -> EncryptedSession {
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
                        [
                            g_variant_new_string(EncryptedSession.algorithm),
                            g_variant_new_variant(bytesVariant(offer.publicKey)),
                        ], reply: "(vo)"))
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
    /// says (a floating `(oayays)`: the session, its parameters, the value, the content type).
    /// - Parameter fresh: through a new session, not the one kept (which may be stale, or one the
    ///   service garbled what crossed).
    func secret(_ item: SecretItem, _ transfer: SecretTransfer, fresh: Bool) throws(SecretStoreError) -> OpaquePointer {
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
        let members: [OpaquePointer?] = [
            g_variant_new_object_path(session), bytesVariant(parameters), bytesVariant(value),
            g_variant_new_string(SecretItem.contentType),
        ]
        return members.withUnsafeBufferPointer { g_variant_new_tuple($0.baseAddress, gsize($0.count)) }
    }

    // MARK: - Writing items

    /// `Collection.CreateItem` (not replacing: the caller has looked for the item to update first,
    /// and KeePassXC answers a replacing create of an existing item with a prompt no one may be
    /// there to answer), with a secret as ``secret(_:_:fresh:)`` sends it. A prompt the
    /// service returns (KeePassXC does for every new item) is shown, and the new item looked for
    /// until it appears, at most `promptLimit`.
    /// - Returns: the new item's path, or `nil` when a prompt did not complete in time.
    func createItem(
        in collection: String, _ item: SecretItem, encoded: OpaquePointer, schema: SecretSchema,
        promptLimit: Duration
    ) throws(SecretStoreError) -> String? {
        let connection = try sessionBus()
        let properties = arrayVariant([
            g_variant_new_dict_entry(
                g_variant_new_string("org.freedesktop.Secret.Item.Label"),
                g_variant_new_variant(g_variant_new_string(item.label))),
            g_variant_new_dict_entry(
                g_variant_new_string("org.freedesktop.Secret.Item.Attributes"),
                g_variant_new_variant(attributesVariant(item.attributes, schema: schema))),
        ])
        let reply = try method(
            connection,
            BusCall(
                collection, "org.freedesktop.Secret.Collection", "CreateItem",
                [properties, encoded, g_variant_new_boolean(0)], reply: "(oo)"))
        guard let created = reply.child(0).string, let prompt = reply.child(1).string else {
            throw malformed("CreateItem")
        }
        if created != "/" { return created }
        guard prompt != "/" else { throw malformed("CreateItem") }
        _ = try method(
            connection,
            BusCall(prompt, "org.freedesktop.Secret.Prompt", "Prompt", [g_variant_new_string("")], reply: "()"))
        var found: String? = nil
        _ = try poll(within: promptLimit, every: .milliseconds(20)) { () throws(SecretStoreError) in
            let search = try method(connection, searchCall(collection, item.attributes, schema))
            found = itemPaths(search).first
            return found != nil
        }
        return found
    }

    /// `Item.SetSecret` with a secret as ``secret(_:_:fresh:)`` sends it.
    func setSecret(_ path: String, encoded: OpaquePointer) throws(SecretStoreError) {
        _ = try method(
            try sessionBus(), BusCall(path, "org.freedesktop.Secret.Item", "SetSecret", [encoded], reply: "()"))
    }

    /// Sets an item's label and attributes (`Properties.Set`), both in one round.
    func setProperties(_ path: String, label: String?, attributes: [String: String]?, schema: SecretSchema)
        throws(SecretStoreError)
    {
        var calls: [BusCall] = []
        func set(_ name: String, _ value: OpaquePointer) -> BusCall {
            BusCall(
                path, "org.freedesktop.DBus.Properties", "Set",
                [
                    g_variant_new_string("org.freedesktop.Secret.Item"), g_variant_new_string(name),
                    g_variant_new_variant(value),
                ], reply: "()")
        }
        if let label { calls.append(set("Label", g_variant_new_string(label))) }
        if let attributes { calls.append(set("Attributes", attributesVariant(attributes, schema: schema))) }
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
        _ = try method(connection, BusCall(prompt, promptInterface, "Prompt", [g_variant_new_string("")], reply: "()"))
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
        let objects = arrayVariant(paths.map { g_variant_new_object_path($0) })
        let reply = try method(connection, BusCall.service("Unlock", [objects], reply: "(aoo)"))
        let unlocked = Set(itemPaths(reply))
        if paths.allSatisfy(unlocked.contains) { return true }
        guard let prompt = reply.child(1).string, prompt != "/" else { return false }
        _ = try method(
            connection,
            BusCall(prompt, "org.freedesktop.Secret.Prompt", "Prompt", [g_variant_new_string("")], reply: "()"))
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
                    [g_variant_new_string(Self.busName)], reply: "(u)", destination: "org.freedesktop.DBus"))
        else { return nil }
        let pid = g_variant_get_uint32(reply.child(0).pointer)
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
