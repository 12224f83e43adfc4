import Dispatch
import Glibc
import Logging
import Synchronization

/// libsecret's sync calls from several threads at once stall each other (measured: nine parallel
/// look-ups took a second, one after another a few milliseconds each), so one process makes one
/// call at a time.
private let oneCallAtATime = Mutex(())

/// The freedesktop Secret Service (GNOME Keyring, KeePassXC, …) through libsecret.
///
/// Every call connects through the session bus, is bounded by ``timeout``, never asks the user to
/// unlock anything, and reports a locked collection as locked, never as empty.
public struct SecretServiceStore: SecretStoring {
    /// The schema every item is stored and searched under.
    public let schema: SecretSchema
    /// The collection: an alias such as `default`, or a collection's label.
    public let collection: String
    /// The longest any one call may take, start-up of the Secret Service included.
    public let timeout: Duration
    /// With a graphical session (`DISPLAY` or `WAYLAND_DISPLAY`), how long to wait for the user to
    /// answer the Secret Service's unlock prompt; `nil` never to ask.
    public let unlockTimeout: Duration?
    private let environment: [String: String]
    private let logger: Logger

    /// Makes a store; nothing is connected until the first call.
    /// - Parameters:
    ///   - schema: the libsecret schema of the items.
    ///   - collection: the collection alias or label (default: the `default` alias).
    ///   - timeout: the bound on each call (default: 5 seconds).
    ///   - unlockTimeout: how long a locked collection's unlock prompt may wait for the user; asked
    ///     only in a graphical session (`DISPLAY` or `WAYLAND_DISPLAY` set). `nil`: never ask.
    ///   - environment: the process environment, to find the session bus the way GLib does.
    ///   - logger: where to log (never secrets).
    public init(
        schema: SecretSchema, collection: String = "default", timeout: Duration = .seconds(5),
        unlockTimeout: Duration? = nil, environment: [String: String], logger: Logger
    ) {
        self.schema = schema
        self.collection = collection
        self.timeout = timeout
        let graphical = !(environment["DISPLAY"] ?? "").isEmpty || !(environment["WAYLAND_DISPLAY"] ?? "").isEmpty
        self.unlockTimeout = graphical ? unlockTimeout : nil
        self.environment = environment
        self.logger = logger
    }

    public func search(_ attributes: [String: String], loadSecrets: Bool) throws -> [SecretItem] {
        try search(each: [attributes], loadSecrets: loadSecrets)[0]
    }

    public func search(each queries: [[String: String]], loadSecrets: Bool) throws -> [[SecretItem]] {
        try oneCallAtATime.withLock { _ throws(SecretStoreError) in try locked_search(queries, loadSecrets) }
    }

    public func store(_ item: SecretItem, replacing identity: [String: String]) throws {
        // Outside the lock: the connecting thread takes it. A connecting that did not end within
        // a call's bound is a Secret Service that does not answer: said at once, not waited on
        // for a second bound.
        guard ServicePreparation.wait(atMost: timeout) else {
            throw SecretStoreError.timedOut(after: timeout, collection: collection)
        }
        try oneCallAtATime.withLock { _ throws(SecretStoreError) in try locked_store(prepare(), item, identity) }
    }

    @discardableResult
    public func delete(_ attributes: [String: String]) throws -> Int {
        try oneCallAtATime.withLock { _ throws(SecretStoreError) in try locked_delete(attributes) }
    }

    /// Connects libsecret to the service on another thread: the ≈ 5 ms of building its proxy and
    /// negotiating its encrypted session (a Diffie-Hellman exchange) then pass while the caller
    /// waits for the network. libsecret keeps the connected service for the process, so the store
    /// that follows finds it ready.
    public func prepareToStore() {
        guard (try? prepare()) != nil else { return }
        ServicePreparation.start(timeout: timeout, collectionName: collection)
    }

    /// Waits (at most one call's bound, as the connecting is bounded so) for the connecting.
    public func finishPreparing() {
        _ = ServicePreparation.wait(atMost: timeout)
    }

    private func locked_search(_ queries: [[String: String]], _ loadSecrets: Bool) throws(SecretStoreError)
        -> [[SecretItem]]
    {
        let libsecret = try prepare()
        if let found = try libsecret.busSearch(
            alias: collection, schema: schema, queries: queries, loadSecrets: loadSecrets)
        {
            logger.debug("secret service search", metadata: ["matches": "\(found.map(\.count))"])
            return found.map { $0.sorted { $0.modified > $1.modified } }
        }
        // Something is locked or unusual: libsecret's path, one query at a time, says what.
        var results: [[SecretItem]] = []
        for query in queries { results.append(try libsecretSearch(query, loadSecrets)) }
        return results
    }

    private func libsecretSearch(_ attributes: [String: String], _ loadSecrets: Bool) throws(SecretStoreError)
        -> [SecretItem]
    {
        let session = try open()
        let collection = try session.collectionRef
        let found = try session.libsecret.search(
            collection, schema: schema, attributes: attributes, loadSecrets: loadSecrets)
        // A locked item is locked, not absent; and gnome-keyring returns nothing at all from a
        // collection not unlocked since it started, so an empty answer needs the Locked property.
        if found.contains(where: { $0.locked }) || (found.isEmpty && session.libsecret.isLocked(collection)) {
            guard let unlockTimeout else { throw locked(collection, session) }
            try unlock(collection, session, within: unlockTimeout)
            return try locked_search([attributes], loadSecrets)[0]
        }
        let items = found.map { session.libsecret.read($0.item) }
        logger.debug("secret service search", metadata: ["matches": "\(items.count)"])
        return items.sorted { $0.modified > $1.modified }
    }

    private func locked_store(
        _ libsecret: consuming LibSecretSession, _ item: SecretItem, _ identity: [String: String]
    ) throws(SecretStoreError) {
        // The common case, by object paths: a collection found by its alias and unlocked.
        if let target = try libsecret.busCollection(alias: collection), !target.locked {
            let service = try libsecret.service()
            let created = try libsecret.createItem(in: target.path, service: service, schema: schema, item: item)
            let others = try libsecret.searchPaths(service: service, schema: schema, attributes: identity).unlocked
                .filter { $0.hasPrefix(target.path + "/") && $0 != created }
            for other in others { try libsecret.deleteItem(at: other, service: service) }
            logger.debug("secret service store", metadata: ["replaced": "\(others.count)"])
            return
        }
        // A collection named by its label, or a locked one (which may be unlocked first).
        let session = try open(libsecret)
        let collection = try session.collectionRef
        // Creating an item in a locked collection would need a prompt: refuse first.
        if session.libsecret.isLocked(collection) {
            guard let unlockTimeout else { throw locked(collection, session) }
            try unlock(collection, session, within: unlockTimeout)
        }
        let created = try session.libsecret.create(in: collection, schema: schema, item: item)
        let createdPath = session.libsecret.path(of: created)
        let others = try session.libsecret.search(
            collection, schema: schema, attributes: identity, loadSecrets: false)
        for other in others where session.libsecret.path(of: other.item) != createdPath {
            try session.libsecret.delete(other.item)
        }
        logger.debug("secret service store", metadata: ["replaced": "\(others.count - 1)"])
    }

    private func locked_delete(_ attributes: [String: String]) throws(SecretStoreError) -> Int {
        let session = try open()
        let collection = try session.collectionRef
        // Deleting from a locked collection would prompt; and an empty search there proves nothing.
        if session.libsecret.isLocked(collection) {
            guard let unlockTimeout else { throw locked(collection, session) }
            try unlock(collection, session, within: unlockTimeout)
        }
        let found = try session.libsecret.search(
            collection, schema: schema, attributes: attributes, loadSecrets: false)
        for entry in found {
            try session.libsecret.delete(entry.item)
        }
        logger.debug("secret service delete", metadata: ["deleted": "\(found.count)"])
        return found.count
    }

    /// Asks the Secret Service to unlock the collection (its prompt appears on the user's display),
    /// waiting at most `limit` for the answer.
    /// - Throws: the locked error, saying the prompt went unanswered, when it was not unlocked.
    private func unlock(_ collection: GObjectRef, _ session: borrowing OpenSession, within limit: Duration)
        throws(SecretStoreError)
    {
        logger.info("asking the Secret Service to unlock the collection", metadata: ["wait": "\(limit)"])
        // The calls themselves stay bounded by the keyring time-out; the waiting by `limit` (plus
        // one call's bound), so the deadline of this session must cover both.
        let prompting = LibSecretSession(timeout: limit + timeout, collectionName: self.collection)
        let unlocked = try prompting.busUnlock(session.libsecret.path(ofCollection: collection), within: limit)
        guard unlocked else {
            let label = session.libsecret.label(of: collection)
            throw SecretStoreError(
                .collectionLocked, collection: label.isEmpty ? self.collection : label,
                detail: "the unlock prompt was not answered within \(limit)")
        }
    }

    /// The locked error, naming the collection as users see it ("Login", not "default").
    private func locked(_ collection: GObjectRef, _ session: borrowing OpenSession) -> SecretStoreError {
        let label = session.libsecret.label(of: collection)
        return SecretStoreError(.collectionLocked, collection: label.isEmpty ? self.collection : label)
    }

    /// Connects to the service, after checking there is a session bus to connect to at all:
    /// without one GLib would try to autolaunch a bus, which fails slowly or starts a stray one.
    /// Searches go over GDBus directly (SecretServiceBus.swift) and fall back to this.
    private func open() throws(SecretStoreError) -> OpenSession {
        try open(prepare())
    }

    /// Connects libsecret to the service (`secret_service_get_sync`, with its encrypted session).
    private func open(_ libsecret: consuming LibSecretSession) throws(SecretStoreError) -> OpenSession {
        let service = try libsecret.service()
        return OpenSession(libsecret: libsecret, service: service)
    }

    /// A bounded session, after checking there is a session bus to connect to at all.
    private func prepare() throws(SecretStoreError) -> LibSecretSession {
        let address = environment["DBUS_SESSION_BUS_ADDRESS"] ?? ""
        if address.isEmpty {
            let runtime = environment["XDG_RUNTIME_DIR"] ?? ""
            guard !runtime.isEmpty, isSocket(runtime + "/bus") else {
                throw SecretStoreError(
                    .noSessionBus, collection: collection,
                    detail: "DBUS_SESSION_BUS_ADDRESS is not set and there is no $XDG_RUNTIME_DIR/bus")
            }
        }
        return LibSecretSession(timeout: timeout, collectionName: collection)
    }
}

/// libsecret's service, being connected ahead of a store on another thread (once per process).
private enum ServicePreparation {
    private static let state = Mutex<DispatchSemaphore?>(nil)

    /// Starts connecting, unless that was started already.
    static func start(timeout: Duration, collectionName: String) {
        let done = DispatchSemaphore(value: 0)
        let started = state.withLock { current in
            guard current == nil else { return false }
            current = done
            return true
        }
        guard started else { return }
        // A thread of its own, not a Dispatch queue: Dispatch queued this behind the loading of
        // libcurl instead of running it beside it.
        let thread = DetachedThread {
            // Bounded like any call; a failure here is met again, and reported, by the store.
            oneCallAtATime.withLock { _ in
                let session = LibSecretSession(timeout: timeout, collectionName: collectionName)
                _ = try? session.service()
            }
            done.signal()
        }
        if !thread.start() { done.signal() }
    }

    /// Waits for the connecting, if started, to end: two threads connecting at once would each
    /// negotiate a session.
    /// - Returns: `false` when it was still under way after `limit`.
    static func wait(atMost limit: Duration) -> Bool {
        guard let done = state.withLock({ $0 }) else { return true }
        guard done.wait(timeout: .now() + limit.dispatchInterval) == .success else { return false }
        done.signal()  // for whoever waits next
        return true
    }
}

/// A thread that runs one closure and ends (`pthread_create`, detached).
private final class DetachedThread: Sendable {
    private let body: @Sendable () -> Void

    init(_ body: @escaping @Sendable () -> Void) { self.body = body }

    /// Starts the thread; `false` when none could be made.
    func start() -> Bool {
        let retained = Unmanaged.passRetained(self).toOpaque()
        var thread = pthread_t()
        let made = pthread_create(
            &thread, nil,
            { context in
                let detached = Unmanaged<DetachedThread>.fromOpaque(context!).takeRetainedValue()
                detached.body()
                return nil
            }, retained)
        guard made == 0 else {
            Unmanaged<DetachedThread>.fromOpaque(retained).release()
            return false
        }
        pthread_detach(thread)
        return true
    }
}

extension Duration {
    /// The same span for Dispatch.
    var dispatchInterval: DispatchTimeInterval {
        let (seconds, attoseconds) = components
        return .nanoseconds(Int(seconds) * 1_000_000_000 + Int(attoseconds / 1_000_000_000))
    }
}

/// A connected service for one operation.
private struct OpenSession: ~Copyable {
    let libsecret: LibSecretSession
    let service: GObjectRef

    /// The configured collection, or `.collectionMissing`.
    var collectionRef: GObjectRef {
        get throws(SecretStoreError) {
            guard let collection = try libsecret.collection(in: service) else {
                throw SecretStoreError(.collectionMissing, collection: libsecret.collectionName)
            }
            return collection
        }
    }
}
