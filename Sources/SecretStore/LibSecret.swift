internal import CSecret
import Dispatch

// The only file that calls libsecret and GLib. Each wrapper names the C function it stands for
// and who frees what; GErrors become SecretStoreError here and nowhere else.

/// An owned GObject reference (`SecretService`, `SecretCollection`, `SecretItem`), unreferenced
/// with `g_object_unref` when the wrapper goes away.
final class GObjectRef {
    let pointer: UnsafeMutableRawPointer

    init(_ pointer: UnsafeMutableRawPointer) { self.pointer = pointer }
    deinit { g_object_unref(pointer) }

    func typed<T>(_: T.Type) -> UnsafeMutablePointer<T> { pointer.assumingMemoryBound(to: T.self) }
}

/// Runs libsecret calls for one operation, bounded by a deadline: a `GCancellable` that a timer
/// cancels, which makes a pending D-Bus call return `G_IO_ERROR_CANCELLED`.
struct LibSecretSession: ~Copyable {
    private let cancellable: UnsafeMutablePointer<GCancellable>
    private let timer: DispatchWorkItem
    private let timeout: Duration
    let collectionName: String
    /// The bound, for calls that take one of their own.
    let timeoutMilliseconds: Int
    /// The cancellable the timer cancels, for the GDBus calls of the read path.
    var cancellableForCalls: UnsafeMutablePointer<GCancellable> { cancellable }

    init(timeout: Duration, collectionName: String) {
        let cancellable = g_cancellable_new()!
        // g_cancellable_cancel is thread-safe; the box only carries the pointer to the timer.
        let box = UncheckedSendable(cancellable)
        timer = DispatchWorkItem { g_cancellable_cancel(box.value) }
        DispatchQueue.global().asyncAfter(deadline: .now() + timeout.dispatchInterval, execute: timer)
        self.cancellable = cancellable
        self.timeout = timeout
        self.collectionName = collectionName
        self.timeoutMilliseconds = Int(timeout / .milliseconds(1))
    }

    deinit {
        timer.cancel()
        g_object_unref(cancellable)
    }

    /// Translates a GError into a SecretStoreError and frees it.
    func translate(_ error: UnsafeMutablePointer<GError>, connecting: Bool) -> SecretStoreError {
        defer { g_error_free(error) }
        let message = error.pointee.message.map { String(cString: $0) } ?? "unknown error"
        let domain = error.pointee.domain
        let code = error.pointee.code
        if domain == g_io_error_quark() && code == Int32(G_IO_ERROR_CANCELLED.rawValue) {
            return .timedOut(after: timeout, collection: collectionName)
        }
        if domain == g_dbus_error_quark()
            && (code == Int32(G_DBUS_ERROR_SERVICE_UNKNOWN.rawValue)
                || code == Int32(G_DBUS_ERROR_NAME_HAS_NO_OWNER.rawValue))
        {
            return SecretStoreError(.noSecretService, collection: collectionName, detail: message)
        }
        // Failing to reach the bus itself surfaces as a GIO error while connecting.
        if connecting && domain == g_io_error_quark() {
            return SecretStoreError(.noSessionBus, collection: collectionName, detail: message)
        }
        return SecretStoreError(.other, collection: collectionName, detail: message)
    }

    /// Calls `body` with a `GError**` and throws the translated error when it set one.
    func call<R>(
        connecting: Bool = false, _ body: (UnsafeMutablePointer<UnsafeMutablePointer<GError>?>) -> R
    ) throws(SecretStoreError) -> R {
        var error: UnsafeMutablePointer<GError>? = nil
        let result = body(&error)
        if let error { throw translate(error, connecting: connecting) }
        return result
    }

    /// `secret_service_get_sync` with an open session: connects to the bus and the service.
    func service() throws(SecretStoreError) -> GObjectRef {
        let service = try call(connecting: true) {
            secret_service_get_sync(SECRET_SERVICE_OPEN_SESSION, cancellable, $0)
        }
        guard let service else { throw SecretStoreError(.noSecretService, detail: "no service object") }
        return GObjectRef(service)
    }

    /// The collection by alias (`secret_collection_for_alias_sync`), else the one whose label it is
    /// among the service's `Collections` (`secret_collection_new_for_dbus_path_sync` on each path);
    /// `nil` when neither exists.
    func collection(in service: GObjectRef) throws(SecretStoreError) -> GObjectRef? {
        let secretService = service.typed(SecretService.self)
        let byAlias = try call {
            secret_collection_for_alias_sync(secretService, collectionName, SECRET_COLLECTION_NONE, cancellable, $0)
        }
        if let byAlias { return GObjectRef(byAlias) }
        if collectionName == "default" { return nil }
        for path in collectionPaths(service) {
            let candidate = try call {
                secret_collection_new_for_dbus_path_sync(secretService, path, SECRET_COLLECTION_NONE, cancellable, $0)
            }
            guard let candidate else { continue }
            let collection = GObjectRef(candidate)
            if label(of: collection) == collectionName { return collection }
        }
        return nil
    }

    /// The service's `Collections` property, as loaded with the service proxy.
    private func collectionPaths(_ service: GObjectRef) -> [String] {
        guard let variant = g_dbus_proxy_get_cached_property(service.typed(GDBusProxy.self), "Collections") else {
            return []
        }
        defer { g_variant_unref(variant) }
        var paths: [String] = []
        for index in 0..<g_variant_n_children(variant) {
            guard let child = g_variant_get_child_value(variant, index) else { continue }
            paths.append(String(cString: g_variant_get_string(child, nil)))
            g_variant_unref(child)
        }
        return paths
    }

    /// `secret_collection_get_label`: the name users see for a collection, such as "Login".
    func label(of collection: GObjectRef) -> String {
        takeString(secret_collection_get_label(collection.typed(SecretCollection.self)))
    }

    /// `secret_collection_get_locked`: the `Locked` property, as loaded with the collection.
    func isLocked(_ collection: GObjectRef) -> Bool {
        secret_collection_get_locked(collection.typed(SecretCollection.self)) != 0
    }

    /// `secret_collection_search_sync` without `SECRET_SEARCH_UNLOCK`, so it never prompts.
    func search(
        _ collection: GObjectRef, schema: SecretSchema, attributes: [String: String], loadSecrets: Bool
    ) throws(SecretStoreError) -> [(item: GObjectRef, locked: Bool)] {
        let cSchema = makeSchema(schema)
        defer { secret_schema_unref(cSchema) }
        let table = makeAttributes(attributes)
        defer { g_hash_table_unref(table) }
        var flags = SECRET_SEARCH_ALL.rawValue
        if loadSecrets { flags |= SECRET_SEARCH_LOAD_SECRETS.rawValue }
        let list = try call {
            secret_collection_search_sync(
                collection.typed(SecretCollection.self), cSchema, table, SecretSearchFlags(rawValue: flags),
                cancellable, $0)
        }
        guard let list else { return [] }
        // Transfer full: the list and one reference per item. Each item's reference moves into a
        // GObjectRef, so only the list cells are freed here.
        defer { g_list_free(list) }
        var found: [(item: GObjectRef, locked: Bool)] = []
        var node: UnsafeMutablePointer<GList>? = list
        while let current = node {
            if let raw = current.pointee.data {
                let locked = secret_item_get_locked(raw.assumingMemoryBound(to: CSecret.SecretItem.self)) != 0
                found.append((GObjectRef(raw), locked))
            }
            node = current.pointee.next
        }
        return found
    }

    /// Reads an item's label, attributes, modification time and (when loaded) secret.
    func read(_ item: GObjectRef) -> SecretItem {
        let pointer = item.typed(CSecret.SecretItem.self)
        let label = takeString(secret_item_get_label(pointer))
        var attributes: [String: String] = [:]
        if let table = secret_item_get_attributes(pointer) {  // transfer full: a new reference
            var iterator = GHashTableIter()
            g_hash_table_iter_init(&iterator, table)
            var key: gpointer? = nil
            var value: gpointer? = nil
            while g_hash_table_iter_next(&iterator, &key, &value) != 0 {
                if let key, let value {
                    attributes[String(cString: key.assumingMemoryBound(to: CChar.self))] =
                        String(cString: value.assumingMemoryBound(to: CChar.self))
                }
            }
            g_hash_table_unref(table)
        }
        var secret: String? = nil
        if let value = secret_item_get_secret(pointer) {  // transfer full
            var length = 0
            if let bytes = secret_value_get(value, &length) {
                secret = String(
                    decoding: UnsafeRawBufferPointer(start: bytes, count: length), as: UTF8.self)
            }
            secret_value_unref(UnsafeMutableRawPointer(value))
        }
        return SecretItem(
            label: label, attributes: attributes, secret: secret, modified: UInt64(secret_item_get_modified(pointer)))
    }

    /// The D-Bus object path of an item, which tells two items apart.
    func path(of item: GObjectRef) -> String {
        String(cString: g_dbus_proxy_get_object_path(item.typed(GDBusProxy.self)))
    }

    /// The D-Bus object path of a collection.
    func path(ofCollection collection: GObjectRef) -> String {
        String(cString: g_dbus_proxy_get_object_path(collection.typed(GDBusProxy.self)))
    }

    /// `secret_item_create_sync` with `SECRET_ITEM_CREATE_REPLACE`.
    func create(
        in collection: GObjectRef, schema: SecretSchema, item: SecretItem
    ) throws(SecretStoreError) -> GObjectRef {
        let cSchema = makeSchema(schema)
        defer { secret_schema_unref(cSchema) }
        let table = makeAttributes(item.attributes)
        defer { g_hash_table_unref(table) }
        let value = makeValue(item)
        defer { secret_value_unref(UnsafeMutableRawPointer(value)) }
        let created = try call {
            secret_item_create_sync(
                collection.typed(SecretCollection.self), cSchema, table, item.label, value,
                SECRET_ITEM_CREATE_REPLACE, cancellable, $0)
        }
        guard let created else { throw SecretStoreError(.other, detail: "the item was not created") }
        return GObjectRef(created)
    }

    /// `secret_item_delete_sync`.
    func delete(_ item: GObjectRef) throws(SecretStoreError) {
        _ = try call { secret_item_delete_sync(item.typed(CSecret.SecretItem.self), cancellable, $0) }
    }

    // The same writes by D-Bus object path (libsecret's secret-paths.h): no proxy object is built
    // for the collection or the items, each of which costs libsecret a GetAll and signal
    // subscriptions. The caller has checked the collection is unlocked, so nothing here prompts.

    /// `secret_service_create_item_dbus_path_sync` with `SECRET_ITEM_CREATE_REPLACE`: creates `item`
    /// (its attributes under `schema`'s name, as libsecret stores them) in the collection at
    /// `collectionPath`.
    /// - Returns: the new item's path.
    func createItem(
        in collectionPath: String, service: GObjectRef, schema: SecretSchema, item: SecretItem
    ) throws(SecretStoreError) -> String {
        // Property name → GVariant; the table holds one (sunk) reference to each value.
        let properties = g_hash_table_new_full(g_str_hash, g_str_equal, g_free) { g_variant_unref(OpaquePointer($0)) }!
        defer { g_hash_table_unref(properties) }
        for (name, value) in [
            ("org.freedesktop.Secret.Item.Label", g_variant_new_string(item.label)),
            ("org.freedesktop.Secret.Item.Attributes", attributesVariant(item.attributes, schema: schema)),
        ] {
            g_hash_table_insert(properties, g_strdup(name), UnsafeMutableRawPointer(g_variant_ref_sink(value)))
        }
        let value = makeValue(item)
        defer { secret_value_unref(UnsafeMutableRawPointer(value)) }
        let created = try call {
            secret_service_create_item_dbus_path_sync(
                service.typed(SecretService.self), collectionPath, properties, value, SECRET_ITEM_CREATE_REPLACE,
                cancellable, $0)
        }
        guard let created else { throw SecretStoreError(.other, detail: "the item was not created") }
        return takeString(created)
    }

    /// `secret_service_search_for_dbus_paths_sync`: the paths of the items (of every collection)
    /// whose attributes include `attributes`, unlocked ones and locked ones.
    func searchPaths(
        service: GObjectRef, schema: SecretSchema, attributes: [String: String]
    ) throws(SecretStoreError) -> (unlocked: [String], locked: [String]) {
        let cSchema = makeSchema(schema)
        defer { secret_schema_unref(cSchema) }
        let table = makeAttributes(attributes)
        defer { g_hash_table_unref(table) }
        var unlocked: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = nil
        var locked: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = nil
        _ = try call {
            secret_service_search_for_dbus_paths_sync(
                service.typed(SecretService.self), cSchema, table, cancellable, &unlocked, &locked, $0)
        }
        return (takeStrings(unlocked), takeStrings(locked))
    }

    /// `secret_service_delete_item_dbus_path_sync`.
    func deleteItem(at path: String, service: GObjectRef) throws(SecretStoreError) {
        _ = try call {
            secret_service_delete_item_dbus_path_sync(service.typed(SecretService.self), path, cancellable, $0)
        }
    }

    /// The item's secret as a libsecret value (`secret_value_new` copies the bytes); the caller
    /// unrefs it.
    private func makeValue(_ item: SecretItem) -> OpaquePointer {
        Array((item.secret ?? "").utf8).withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { secret_value_new($0.baseAddress, $0.count, "text/plain")! }
        }
    }

    /// A schema for libsecret (`secret_schema_newv`); the caller unrefs it.
    private func makeSchema(_ schema: SecretSchema) -> UnsafeMutablePointer<CSecret.SecretSchema> {
        let names = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, nil)!
        defer { g_hash_table_unref(names) }
        for name in schema.attributeNames {
            // The value is the attribute's type; SECRET_SCHEMA_ATTRIBUTE_STRING is 0, a NULL pointer.
            g_hash_table_insert(names, g_strdup(name), nil)
        }
        return secret_schema_newv(schema.name, SECRET_SCHEMA_NONE, names)
    }

    /// A string-to-string GHashTable owning copies of both (`g_hash_table_new_full` with `g_free`).
    private func makeAttributes(_ attributes: [String: String]) -> OpaquePointer {
        let table = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free)!
        for (key, value) in attributes {
            g_hash_table_insert(table, g_strdup(key), g_strdup(value))
        }
        return table
    }
}

/// Copies a newly allocated C string into Swift and frees it with `g_free`.
private func takeString(_ pointer: UnsafeMutablePointer<CChar>?) -> String {
    guard let pointer else { return "" }
    defer { g_free(pointer) }
    return String(cString: pointer)
}

/// Copies a newly allocated, NULL-terminated string array into Swift and frees it with `g_strfreev`.
private func takeStrings(_ array: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> [String] {
    guard let array else { return [] }
    defer { g_strfreev(array) }
    var strings: [String] = []
    var index = 0
    while let string = array[index] {
        strings.append(String(cString: string))
        index += 1
    }
    return strings
}

/// Carries a value the compiler cannot prove Sendable into a closure; see each use for why it is safe.
struct UncheckedSendable<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
