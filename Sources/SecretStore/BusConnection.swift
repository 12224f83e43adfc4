internal import CDBus
import FileSystem
import Glibc

// The session bus through libdbus, the reference D-Bus library: a private connection, method calls
// sent all at once and their replies waited for until a deadline, values written into and read out
// of messages. Every libdbus call of the helper is in this file. libdbus checks every message it
// receives (its header, the body against its signature, strings, object paths); this file checks
// each reply's signature against the one the call expects before anything reads it, and never
// gives libdbus an argument it would abort the process on (an object path is checked first).

/// One method call.
struct BusCall {
    let destination: String
    let path: String
    let interface: String
    let name: String
    let arguments: [BusValue]
    /// The reply's arguments as one structure's signature, such as `(ao)`: a reply of any other
    /// shape is refused before it is read.
    let reply: String
}

/// Why a call got no usable reply.
enum BusFailure: Error {
    /// The bus could not be reached or refused this process (connecting, authenticating, `Hello`).
    case cannotConnect(String)
    /// No reply before the deadline.
    case timedOut
    /// The connection is closed (the bus went away).
    case disconnected
    /// An error reply: its D-Bus name and message.
    case error(name: String, message: String)
    /// A reply of another signature than the call's, or an argument that cannot be sent.
    case malformed(String)
}

/// A private connection to a bus, closed when the last reference goes. libdbus connections are
/// thread-safe; a store makes one call at a time on its own anyway.
final class BusConnection: @unchecked Sendable {
    private let connection: OpaquePointer

    private init(_ connection: OpaquePointer) { self.connection = connection }

    deinit {
        // A private connection is closed by its owner before its last reference goes.
        dbus_connection_close(connection)
        dbus_connection_unref(connection)
    }

    /// The session bus's address as libdbus takes it: `DBUS_SESSION_BUS_ADDRESS`, else the socket
    /// `$XDG_RUNTIME_DIR/bus` (systemd's user bus) when there is one; `nil` when neither, where
    /// libdbus's own search would go on to autolaunch a bus.
    static func sessionBusAddress(_ environment: [String: String], isSocket: (String) -> Bool) -> String? {
        if let address = environment.variable("DBUS_SESSION_BUS_ADDRESS") { return address }
        guard let socket = environment.variable("XDG_RUNTIME_DIR").map({ $0 + "/bus" }), isSocket(socket),
            let escaped = dbus_address_escape_value(socket)
        else { return nil }
        defer { dbus_free(escaped) }
        return "unix:path=" + String(cString: escaped)
    }

    /// Connects to the bus at `address` and says `Hello`, by `deadline`.
    static func open(address: String, deadline: ContinuousClock.Instant) throws(BusFailure) -> BusConnection {
        var error = DBusError()
        dbus_error_init(&error)
        guard let made = dbus_connection_open_private(address, &error) else {
            defer { dbus_error_free(&error) }
            throw .cannotConnect(error.message.map { String(cString: $0) } ?? "cannot connect to \(address)")
        }
        // libdbus's default for a bus connection it opens itself is to exit the process when the
        // bus goes away; a helper (or a program using this library) must report that instead.
        dbus_connection_set_exit_on_disconnect(made, 0)
        let connection = BusConnection(made)
        // Authentication happens as the first message goes out, within the deadline as well.
        let hello = BusCall(
            destination: "org.freedesktop.DBus", path: "/org/freedesktop/DBus", interface: "org.freedesktop.DBus",
            name: "Hello", arguments: [], reply: "(s)")
        switch connection.results([hello], deadline: deadline)[0] {
        case .success: return connection
        case .failure(.timedOut): throw .timedOut
        case .failure(.error(_, let message)): throw .cannotConnect(message)
        case .failure(.malformed(let what)): throw .cannotConnect("the bus answered Hello with \(what)")
        case .failure(.disconnected), .failure(.cannotConnect):
            throw .cannotConnect("the bus at \(address) closed the connection before it answered Hello")
        }
    }

    /// Sends `calls` all at once, then waits for every reply until `deadline`.
    /// - Returns: each call's reply (its arguments as one structure) or failure, in order.
    func results(_ calls: [BusCall], deadline: ContinuousClock.Instant) -> [Result<BusValue, BusFailure>] {
        let pending = calls.map { call -> Result<OpaquePointer, BusFailure> in send(call, deadline: deadline) }
        return zip(calls, pending).map { call, sent in
            sent.flatMap { reply(to: call, $0, deadline: deadline) }
        }
    }

    // MARK: - Sending

    private func send(_ call: BusCall, deadline: ContinuousClock.Instant) -> Result<OpaquePointer, BusFailure> {
        guard Self.isObjectPath(call.path) else { return .failure(.malformed("the object path \"\(call.path)\"")) }
        guard let message = dbus_message_new_method_call(call.destination, call.path, call.interface, call.name) else {
            return .failure(.malformed("\(call.name): out of memory"))
        }
        defer { dbus_message_unref(message) }
        var iterator = DBusMessageIter()
        dbus_message_iter_init_append(message, &iterator)
        for argument in call.arguments {
            if let failure = Self.append(argument, to: &iterator) {
                return .failure(.malformed("\(call.name): \(failure)"))
            }
        }
        var pending: OpaquePointer? = nil
        // libdbus sets no pending call when the connection is closed.
        guard dbus_connection_send_with_reply(connection, message, &pending, Self.milliseconds(until: deadline)) != 0,
            let pending
        else { return .failure(.disconnected) }
        return .success(pending)
    }

    /// The time left until `deadline`, as the whole milliseconds libdbus takes, rounded up (a
    /// call times out at the deadline, not before it) and at least 1.
    private static func milliseconds(until deadline: ContinuousClock.Instant) -> Int32 {
        let left = ContinuousClock.now.duration(to: deadline)
        let (seconds, attoseconds) = left.components
        let total = seconds * 1000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000
        return Int32(clamping: max(1, total))
    }

    /// Whether libdbus takes `path` as an object path (it aborts on one it does not).
    static func isObjectPath(_ path: String) -> Bool {
        dbus_validate_path(path, nil) != 0
    }

    /// Writes `value` at `iterator`; returns why not, or `nil` when written.
    private static func append(_ value: BusValue, to iterator: UnsafeMutablePointer<DBusMessageIter>) -> String? {
        func basic<T: BitwiseCopyable>(_ type: Character, _ value: T) -> String? {
            // libdbus takes the address of the value (of the pointer, for a string).
            let written = withUnsafeBytes(of: value) {
                dbus_message_iter_append_basic(iterator, Self.code(type), $0.baseAddress)
            }
            return written != 0 ? nil : "out of memory"
        }
        switch value {
        case .string(let text):
            return text.withCString { basic("s", $0) }
        case .objectPath(let path):
            guard Self.isObjectPath(path) else { return "the object path \"\(path)\"" }
            return path.withCString { basic("o", $0) }
        case .boolean(let flag): return basic("b", dbus_bool_t(flag ? 1 : 0))
        case .uint32(let number): return basic("u", number)
        case .uint64(let number): return basic("t", number)
        case .bytes(let bytes):
            return container(iterator, "a", "y") { inner in
                bytes.withUnsafeBufferPointer { buffer in
                    var start = buffer.baseAddress
                    return dbus_message_iter_append_fixed_array(inner, Self.code("y"), &start, Int32(buffer.count)) != 0
                        ? nil : "out of memory"
                }
            }
        case .variant(let inner):
            return container(iterator, "v", inner.signature) { append(inner, to: $0) }
        case .array(let element, let values):
            return container(iterator, "a", element) { inner in
                values.lazy.compactMap { append($0, to: inner) }.first
            }
        case .dictEntry(let key, let entry):
            return container(iterator, "e", nil) { inner in append(key, to: inner) ?? append(entry, to: inner) }
        case .structure(let members):
            return container(iterator, "r", nil) { inner in
                members.lazy.compactMap { append($0, to: inner) }.first
            }
        case .other(let signature):
            return "a value of type \(signature) is never sent"
        }
    }

    /// Opens a container of `type` (holding `contained`, for an array or variant), fills it with
    /// `fill`, and closes it (or abandons it when filling failed).
    private static func container(
        _ iterator: UnsafeMutablePointer<DBusMessageIter>, _ type: Character, _ contained: String?,
        _ fill: (UnsafeMutablePointer<DBusMessageIter>) -> String?
    ) -> String? {
        var inner = DBusMessageIter()
        let opened =
            contained.map { dbus_message_iter_open_container(iterator, Self.code(type), $0, &inner) }
            ?? dbus_message_iter_open_container(iterator, Self.code(type), nil, &inner)
        guard opened != 0 else { return "out of memory" }
        if let failure = fill(&inner) {
            dbus_message_iter_abandon_container(iterator, &inner)
            return failure
        }
        return dbus_message_iter_close_container(iterator, &inner) != 0 ? nil : "out of memory"
    }

    private static func code(_ type: Character) -> Int32 { Int32(type.asciiValue ?? 0) }

    // MARK: - Receiving

    /// Waits for the reply of `pending` and reads it as `call` expects.
    private func reply(to call: BusCall, _ pending: OpaquePointer, deadline: ContinuousClock.Instant)
        -> Result<BusValue, BusFailure>
    {
        dbus_pending_call_block(pending)
        let message = dbus_pending_call_steal_reply(pending)
        dbus_pending_call_unref(pending)
        guard let message else { return .failure(.disconnected) }
        defer { dbus_message_unref(message) }
        return Self.read(message, as: call.reply, deadline: deadline)
    }

    /// A reply message's arguments as one structure, when its signature is `expected`; its error,
    /// when it is an error.
    static func read(_ message: OpaquePointer, as expected: String, deadline: ContinuousClock.Instant?)
        -> Result<BusValue, BusFailure>
    {
        if dbus_message_get_type(message) == DBUS_MESSAGE_TYPE_ERROR {
            let name = dbus_message_get_error_name(message).map { String(cString: $0) } ?? ""
            // An error's first argument, when it is a string, is its message.
            var iterator = DBusMessageIter()
            let text =
                dbus_message_iter_init(message, &iterator) != 0 ? read(&iterator).string ?? "" : ""
            // libdbus answers a call with a NoReply of its own (no sender) when its time is up, or
            // when the connection closed before the reply came.
            if name == "org.freedesktop.DBus.Error.NoReply", dbus_message_get_sender(message) == nil, let deadline {
                return .failure(ContinuousClock.now + .milliseconds(100) >= deadline ? .timedOut : .disconnected)
            }
            return .failure(.error(name: name, message: text.isEmpty ? name : text))
        }
        let signature = dbus_message_get_signature(message).map { String(cString: $0) } ?? ""
        guard "(" + signature + ")" == expected else {
            return .failure(
                .malformed("a reply of type (\(signature)) where (\(expected.dropFirst().dropLast())) was due"))
        }
        // A message without arguments leaves the iterator at its end: no members.
        var iterator = DBusMessageIter()
        dbus_message_iter_init(message, &iterator)
        return .success(.structure(members(&iterator)))
    }

    /// The value at `iterator` (libdbus has checked it against the message's signature).
    private static func read(_ iterator: UnsafeMutablePointer<DBusMessageIter>) -> BusValue {
        let type = dbus_message_iter_get_arg_type(iterator)
        func basic<T: BitwiseCopyable>(_ empty: T) -> T {
            var value = empty
            withUnsafeMutableBytes(of: &value) { dbus_message_iter_get_basic(iterator, $0.baseAddress) }
            return value
        }
        /// A string or object path: libdbus gives a pointer into the message.
        func text() -> String { basic(UnsafePointer<CChar>?.none).map { String(cString: $0) } ?? "" }
        switch UInt8(truncatingIfNeeded: type) {
        case UInt8(ascii: "s"): return .string(text())
        case UInt8(ascii: "o"): return .objectPath(text())
        case UInt8(ascii: "b"): return .boolean(basic(dbus_bool_t(0)) != 0)
        case UInt8(ascii: "u"): return .uint32(basic(UInt32(0)))
        case UInt8(ascii: "t"): return .uint64(basic(UInt64(0)))
        case UInt8(ascii: "v"):
            var inner = DBusMessageIter()
            dbus_message_iter_recurse(iterator, &inner)
            return .variant(read(&inner))
        case UInt8(ascii: "a"):
            var inner = DBusMessageIter()
            dbus_message_iter_recurse(iterator, &inner)
            let element = String(signature(iterator).dropFirst())
            if element == "y" {
                var start: UnsafePointer<UInt8>? = nil
                var count: Int32 = 0
                dbus_message_iter_get_fixed_array(&inner, &start, &count)
                return .bytes(start.map { Array(UnsafeBufferPointer(start: $0, count: Int(count))) } ?? [])
            }
            return .array(element: element, members(&inner))
        case UInt8(ascii: "e"):
            var inner = DBusMessageIter()
            dbus_message_iter_recurse(iterator, &inner)
            let both = members(&inner)
            return both.count == 2 ? .dictEntry(both[0], both[1]) : .other(signature(iterator))
        case UInt8(ascii: "r"):
            var inner = DBusMessageIter()
            dbus_message_iter_recurse(iterator, &inner)
            return .structure(members(&inner))
        default:
            return .other(signature(iterator))
        }
    }

    /// The values from `iterator` to the end of its container.
    private static func members(_ iterator: UnsafeMutablePointer<DBusMessageIter>) -> [BusValue] {
        var values: [BusValue] = []
        while dbus_message_iter_get_arg_type(iterator) != 0 {
            values.append(read(iterator))
            dbus_message_iter_next(iterator)
        }
        return values
    }

    /// The signature of the value at `iterator`.
    private static func signature(_ iterator: UnsafeMutablePointer<DBusMessageIter>) -> String {
        guard let text = dbus_message_iter_get_signature(iterator) else { return "" }
        defer { dbus_free(text) }
        return String(cString: text)
    }

    /// A whole message in D-Bus's wire format (untrusted bytes), read as a reply of `expected`:
    /// what the fuzz target of replies feeds. `nil` when libdbus refuses the bytes.
    static func read(wireFormat bytes: [UInt8], as expected: String) -> Result<BusValue, BusFailure>? {
        var error = DBusError()
        dbus_error_init(&error)
        defer { dbus_error_free(&error) }
        let message = bytes.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) {
                dbus_message_demarshal($0.baseAddress, Int32(buffer.count), &error)
            }
        }
        guard let message else { return nil }
        defer { dbus_message_unref(message) }
        return read(message, as: expected, deadline: nil)
    }

    /// A method reply carrying `arguments`, in D-Bus's wire format: what the tests and the fuzz
    /// seeds give ``read(wireFormat:as:)``.
    static func wireFormat(ofReplyWith arguments: [BusValue]) -> [UInt8]? {
        guard let message = dbus_message_new(DBUS_MESSAGE_TYPE_METHOD_RETURN) else { return nil }
        defer { dbus_message_unref(message) }
        dbus_message_set_serial(message, 2)
        guard dbus_message_set_reply_serial(message, 1) != 0 else { return nil }
        var iterator = DBusMessageIter()
        dbus_message_iter_init_append(message, &iterator)
        for argument in arguments where append(argument, to: &iterator) != nil { return nil }
        var bytes: UnsafeMutablePointer<CChar>? = nil
        var length: Int32 = 0
        guard dbus_message_marshal(message, &bytes, &length) != 0, let bytes else { return nil }
        defer { dbus_free(bytes) }
        return Array(UnsafeRawBufferPointer(start: bytes, count: Int(length)))
    }
}
