internal import CSecret
import Glibc
import Synchronization

/// The session bus connection, once made; GDBus connections are thread-safe.
private let keptConnection = Mutex<UncheckedSendable<OpaquePointer>?>(nil)

/// What one process learns once and reuses across searches: each alias's collection path, and a
/// plain session (the service closes it when the process's connection goes).
private let learned = Mutex<(collections: [String: String], session: String?)>(([:], nil))

// The read path over GDBus directly: the same org.freedesktop.Secret.Service calls libsecret makes,
// fewer of them (no proxy objects loading every property, no Diffie-Hellman exchange), for the
// `get` that runs on every pull. Writes stay on libsecret; what they need to know first (the
// collection's path, whether it is locked) is read here.
//
// The session is "plain": secrets cross the user's own session-bus socket unencrypted, as libsecret
// also falls back to. A process that could eavesdrop there runs as the same user and could as well
// ask the Secret Service for the secret itself.

/// An owned GVariant reference.
final class VariantRef {
    let pointer: OpaquePointer
    init(_ pointer: OpaquePointer) { self.pointer = pointer }
    deinit { g_variant_unref(pointer) }

    /// Child `index` (`g_variant_get_child_value`, a new reference).
    func child(_ index: Int) -> VariantRef { VariantRef(g_variant_get_child_value(pointer, gsize(index))) }
    var count: Int { Int(g_variant_n_children(pointer)) }
    /// A string or object path (borrowed from the variant, copied here).
    var string: String { String(cString: g_variant_get_string(pointer, nil)) }
    /// The value inside a `v`.
    var unboxed: VariantRef { VariantRef(g_variant_get_variant(pointer)) }
    /// The bytes of an `ay`.
    var bytes: [UInt8] {
        var length = 0
        guard let start = g_variant_get_fixed_array(pointer, &length, 1), length > 0 else { return [] }
        return Array(UnsafeRawBufferPointer(start: start, count: length))
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
    var all = attributes
    all["xdg:schema"] = schema.name
    return arrayVariant(
        all.sorted { $0.key < $1.key }.map {
            g_variant_new_dict_entry(g_variant_new_string($0.key), g_variant_new_string($0.value))
        })
}

/// One Secret Service method call, for ``LibSecretSession/methods(_:_:connecting:)``.
private struct BusCall {
    let path: String
    let interface: String
    let name: String
    /// Floating GVariants, taken by the call.
    let arguments: [OpaquePointer?]

    init(_ path: String, _ interface: String, _ name: String, _ arguments: [OpaquePointer?]) {
        self.path = path
        self.interface = interface
        self.name = name
        self.arguments = arguments
    }
}

/// Where an async call's callback leaves its outcome.
private final class PendingReply {
    var reply: OpaquePointer?
    var error: UnsafeMutablePointer<GError>?
    var done = false
}

extension LibSecretSession {
    private static let bus = "org.freedesktop.secrets"
    private static let servicePath = "/org/freedesktop/secrets"

    /// One method call on the Secret Service: ``methods(_:_:connecting:)`` with one call.
    private func method(
        _ connection: OpaquePointer, _ path: String, _ interface: String, _ name: String, _ arguments: [OpaquePointer?],
        connecting: Bool = false
    ) throws(SecretStoreError) -> VariantRef {
        try methods(connection, [BusCall(path, interface, name, arguments)], connecting: connecting)[0]
    }

    /// Makes `calls` all at once (`g_dbus_connection_call`) and waits for every reply in a main
    /// context of this thread's own, each call bounded by the session's deadline both ways: the
    /// call's own time-out and the cancellable.
    /// - Returns: the replies, in the order of `calls`.
    /// - Throws: the first call's error, if any failed.
    private func methods(_ connection: OpaquePointer, _ calls: [BusCall], connecting: Bool = false)
        throws(SecretStoreError) -> [VariantRef]
    {
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
            g_dbus_connection_call(
                connection, Self.bus, call.path, call.interface, call.name, parameters, nil, G_DBUS_CALL_FLAGS_NONE,
                Int32(timeoutMilliseconds), cancellableForCalls,
                { source, result, context in
                    // GIO calls back exactly once per call, cancelled and timed out included.
                    let box = Unmanaged<PendingReply>.fromOpaque(context!).takeRetainedValue()
                    box.reply = g_dbus_connection_call_finish(OpaquePointer(source), result, &box.error)
                    box.done = true
                }, Unmanaged.passRetained(box).toOpaque())
        }
        while pending.contains(where: { !$0.done }) { g_main_context_iteration(context, 1) }
        var replies: [VariantRef] = []
        var failure: SecretStoreError? = nil
        for (call, box) in zip(calls, pending) {
            if let error = box.error {
                box.error = nil
                let translated = translate(error, connecting: connecting)
                failure = failure ?? translated
            } else if let reply = box.reply {
                replies.append(VariantRef(reply))
            } else {
                failure =
                    failure ?? SecretStoreError(.other, collection: collectionName, detail: "\(call.name): no reply")
            }
        }
        if let failure { throw failure }
        return replies
    }

    /// The session bus connection (`g_bus_get_sync`), kept for the life of the process: GLib drops
    /// its shared connection with the last reference, and every later call (libsecret's writes too)
    /// would connect and authenticate again.
    private func sessionBus() throws(SecretStoreError) -> OpaquePointer {
        if let kept = keptConnection.withLock({ $0 }) { return kept.value }
        let connection = try call(connecting: true) { g_bus_get_sync(G_BUS_TYPE_SESSION, cancellableForCalls, $0) }
        guard let connection else { throw SecretStoreError(.noSessionBus, detail: "no connection") }
        // GLib's default for this connection is to exit the process when the bus goes away; a
        // helper (or a program using this library) must report that instead.
        g_dbus_connection_set_exit_on_close(connection, 0)
        keptConnection.withLock { $0 = UncheckedSendable(connection) }
        return connection
    }

    /// Searches the collection with alias `alias` the lean way, for each of `queries` at once: two
    /// rounds of calls in flight together (the searches; then the items' properties and secrets),
    /// whatever the number of queries and items.
    /// - Returns: for each query, the items (with their label, attributes and modification time,
    ///   and their secrets when asked); or `nil` when the alias does not exist or something is
    ///   locked, for the caller to take libsecret's path, which names the collection and says what
    ///   is wrong.
    func busSearch(
        alias: String, schema: SecretSchema, queries: [[String: String]], loadSecrets: Bool
    ) throws(SecretStoreError) -> [[SecretItem]]? {
        try unlessStale { () throws(SecretStoreError) in
            try busSearchOnce(alias: alias, schema: schema, queries: queries, loadSecrets: loadSecrets)
        }
    }

    /// The object path of the collection with alias `alias` and whether it is locked, or `nil`
    /// when no collection has that alias: what a write needs to know before it may go ahead
    /// without a prompt.
    func busCollection(alias: String) throws(SecretStoreError) -> (path: String, locked: Bool)? {
        try unlessStale { () throws(SecretStoreError) in
            let connection = try sessionBus()
            guard let path = try collectionPath(alias: alias, connection) else { return nil }
            return (path, try isLocked(path, connection))
        }
    }

    /// Runs `body`; when it fails in a way that may come from what this process learned having gone
    /// stale (the Secret Service restarted), forgets it and runs `body` once more afresh.
    private func unlessStale<T>(_ body: () throws(SecretStoreError) -> T) throws(SecretStoreError) -> T {
        do {
            return try body()
        } catch  where error.code == .other && learned.withLock({ !$0.collections.isEmpty || $0.session != nil }) {
            learned.withLock { $0 = ([:], nil) }
            return try body()
        }
    }

    /// The path of the collection with alias `alias` (`ReadAlias`, once per process), or `nil`.
    private func collectionPath(alias: String, _ connection: OpaquePointer) throws(SecretStoreError) -> String? {
        if let known = learned.withLock({ $0.collections[alias] }) { return known }
        let reply = try method(
            connection, Self.servicePath, "org.freedesktop.Secret.Service", "ReadAlias",
            [g_variant_new_string(alias)], connecting: true)
        let path = reply.child(0).string
        guard path != "/" else { return nil }
        learned.withLock { $0.collections[alias] = path }
        return path
    }

    /// The collection's `Locked` property.
    private func isLocked(_ path: String, _ connection: OpaquePointer) throws(SecretStoreError) -> Bool {
        let locked = try method(
            connection, path, "org.freedesktop.DBus.Properties", "Get",
            [g_variant_new_string("org.freedesktop.Secret.Collection"), g_variant_new_string("Locked")])
        return g_variant_get_boolean(locked.child(0).unboxed.pointer) != 0
    }

    private func busSearchOnce(
        alias: String, schema: SecretSchema, queries: [[String: String]], loadSecrets: Bool
    ) throws(SecretStoreError) -> [[SecretItem]]? {
        let connection = try sessionBus()
        let service = "org.freedesktop.Secret.Service"
        let known = learned.withLock { $0 }

        // First round: every search at once, with what this process has not learned yet (the
        // collection's path, a session) beside them.
        var calls = queries.map { query in
            BusCall(Self.servicePath, service, "SearchItems", [attributesVariant(query, schema: schema)])
        }
        let readsAlias = known.collections[alias] == nil
        if readsAlias { calls.append(BusCall(Self.servicePath, service, "ReadAlias", [g_variant_new_string(alias)])) }
        let opensSession = loadSecrets && known.session == nil
        if opensSession {
            calls.append(
                BusCall(
                    Self.servicePath, service, "OpenSession",
                    [g_variant_new_string("plain"), g_variant_new_variant(g_variant_new_string(""))]))
        }
        var replies = try methods(connection, calls, connecting: readsAlias)

        let collection: String
        if readsAlias {
            collection = replies[queries.count].child(0).string
            guard collection != "/" else { return nil }
            learned.withLock { $0.collections[alias] = collection }
        } else {
            collection = known.collections[alias] ?? "/"
        }
        var sessionPath = known.session
        if opensSession {
            sessionPath = replies.last?.child(1).string
            learned.withLock { $0.session = sessionPath }
        }

        // The service searches every collection: keep this one's items. A locked one is for
        // libsecret's path to report.
        func paths(_ list: VariantRef) -> [String] {
            (0..<list.count).map { list.child($0).string }.filter { $0.hasPrefix(collection + "/") }
        }
        var found: [[String]] = []
        for reply in replies.prefix(queries.count) {
            if !paths(reply.child(1)).isEmpty { return nil }
            found.append(paths(reply.child(0)))
        }
        replies = []

        // Second round: each item's properties, every secret, and (when nothing was found)
        // whether the collection is locked: gnome-keyring finds nothing at all in a collection
        // not unlocked since it started.
        let unlocked = Array(Set(found.joined())).sorted()
        var calls2 = unlocked.map {
            BusCall(
                $0, "org.freedesktop.DBus.Properties", "GetAll", [g_variant_new_string("org.freedesktop.Secret.Item")])
        }
        if found.contains(where: \.isEmpty) {
            calls2.append(
                BusCall(
                    collection, "org.freedesktop.DBus.Properties", "Get",
                    [g_variant_new_string("org.freedesktop.Secret.Collection"), g_variant_new_string("Locked")]))
        }
        // The session the secrets come through, when they are read (the first round opened one).
        let secretsSession = loadSecrets && !unlocked.isEmpty ? sessionPath : nil
        if let secretsSession {
            let pathArray = arrayVariant(unlocked.map { g_variant_new_object_path($0) })
            calls2.append(
                BusCall(
                    Self.servicePath, service, "GetSecrets", [pathArray, g_variant_new_object_path(secretsSession)]))
        }
        let replies2 = try methods(connection, calls2)

        if found.contains(where: \.isEmpty),
            g_variant_get_boolean(replies2[unlocked.count].child(0).unboxed.pointer) != 0
        {
            return nil
        }
        var items: [String: SecretItem] = [:]
        for (path, reply) in zip(unlocked, replies2) {
            let properties = reply.child(0)
            var item = SecretItem(label: "", attributes: [:], secret: nil)
            for index in 0..<properties.count {
                let entry = properties.child(index)
                let value = entry.child(1).unboxed
                switch entry.child(0).string {
                case "Label": item.label = value.string
                case "Modified": item.modified = UInt64(g_variant_get_uint64(value.pointer))
                case "Attributes":
                    for pair in 0..<value.count {
                        let attribute = value.child(pair)
                        item.attributes[attribute.child(0).string] = attribute.child(1).string
                    }
                default: continue
                }
            }
            items[path] = item
        }
        if secretsSession != nil, let secretsReply = replies2.last {
            let secrets = secretsReply.child(0)
            for index in 0..<secrets.count {
                let entry = secrets.child(index)
                // (session, parameters, value, content type): the value is the secret, as sent.
                let value = entry.child(1).child(2).bytes
                items[entry.child(0).string]?.secret = String(decoding: value, as: UTF8.self)
            }
        }
        return found.map { $0.compactMap { items[$0] } }
    }

    /// Asks the Secret Service to unlock the collection at `path` (`Unlock`, then `Prompt` on the
    /// prompt it returns: the user's display shows it), then watches the collection's `Locked`
    /// property until it clears or `limit` passes. libsecret's own unlock waits for the prompt's
    /// end however long it takes, cancellable or not.
    /// - Returns: whether the collection is unlocked.
    func busUnlock(_ path: String, within limit: Duration) throws(SecretStoreError) -> Bool {
        let connection = try sessionBus()
        let service = "org.freedesktop.Secret.Service"
        let objects = arrayVariant([g_variant_new_object_path(path)])
        let reply = try method(connection, Self.servicePath, service, "Unlock", [objects])
        if reply.child(0).count > 0 { return true }
        let prompt = reply.child(1).string
        guard prompt != "/" else { return false }
        _ = try method(connection, prompt, "org.freedesktop.Secret.Prompt", "Prompt", [g_variant_new_string("")])
        let clock = ContinuousClock()
        let deadline = clock.now + limit
        while clock.now < deadline {
            if try !isLocked(path, connection) { return true }
            usleep(100_000)
        }
        // Not Dismiss: gnome-keyring 42 aborts on an assertion when a prompt it is showing is
        // dismissed (gkd-secret-unlock.c: perform_next_unlock). The prompt stays on the display
        // for the user; this process reports and goes.
        return false
    }
}
