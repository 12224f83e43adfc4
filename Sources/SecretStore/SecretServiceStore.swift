import FileSystem
import Logging

/// The freedesktop Secret Service (GNOME Keyring, KeePassXC, KWallet, …), over D-Bus.
///
/// Every call connects through the session bus, is bounded by ``timeout``, never asks the user to
/// unlock anything, and reports a locked collection as locked, never as empty.
package struct SecretServiceStore: SecretStoring {
    /// The schema every item is stored and searched under.
    package let schema: SecretSchema
    /// The collection: an alias such as `default`, or a collection's label.
    package let collection: String
    /// The longest any one call may take, start-up of the Secret Service included.
    package let timeout: Duration
    /// When the process must be done, if it has such a deadline.
    package let deadline: ContinuousClock.Instant?
    /// With a graphical session (`DISPLAY` or `WAYLAND_DISPLAY`), how long to wait for the user to
    /// answer the Secret Service's unlock prompt; `nil` never to ask.
    package let unlockTimeout: Duration?
    private let logger: Logger
    private let connection: SecretServiceConnection

    /// Makes a store; nothing is connected until the first call.
    /// - Parameters:
    ///   - schema: the libsecret schema of the items.
    ///   - collection: the collection alias or label (default: the `default` alias).
    ///   - timeout: the bound on each call (default: 5 seconds).
    ///   - unlockTimeout: how long a locked collection's unlock prompt may wait for the user; asked
    ///     only in a graphical session (`DISPLAY` or `WAYLAND_DISPLAY` set). `nil`: never ask.
    ///   - deadline: when the whole process must be done, if it has such a deadline: no call
    ///     waits past it (the user's answer to an unlock prompt is bounded by `unlockTimeout`
    ///     instead).
    ///   - environment: the process environment, to find the session bus (its address, or
    ///     `$XDG_RUNTIME_DIR/bus`).
    ///   - logger: where to log (never secrets).
    package init(
        schema: SecretSchema, collection: String = "default", timeout: Duration = .seconds(5),
        unlockTimeout: Duration? = nil, deadline: ContinuousClock.Instant? = nil, environment: [String: String],
        logger: Logger
    ) {
        self.schema = schema
        self.collection = collection
        self.timeout = timeout
        self.deadline = deadline
        let graphical = environment.variable("DISPLAY") != nil || environment.variable("WAYLAND_DISPLAY") != nil
        self.unlockTimeout = graphical ? unlockTimeout : nil
        self.connection = SecretServiceConnection(
            address: BusConnection.sessionBusAddress(environment, isSocket: Files.isSocket))
        self.logger = logger
    }

    package func search(_ attributes: [String: String], loadSecrets: Bool) throws -> [SecretItem] {
        try search(each: [attributes], loadSecrets: loadSecrets)[0]
    }

    package func search(each queries: [[String: String]], loadSecrets: Bool) throws -> [[SecretItem]] {
        try naming { () throws(SecretStoreError) in
            try connection.oneCallAtATime.withLock { _ throws(SecretStoreError) in
                try lockedSearch(queries, loadSecrets)
            }
        }
    }

    package func store(_ item: SecretItem, replacing identity: [String: String], transfer: SecretTransfer) throws {
        try naming { () throws(SecretStoreError) in
            try connection.oneCallAtATime.withLock { _ throws(SecretStoreError) in
                try lockedStore(prepare(), item, identity, transfer)
            }
        }
    }

    @discardableResult
    package func delete(_ attributes: [String: String]) throws -> Int {
        try naming { () throws(SecretStoreError) in
            try connection.oneCallAtATime.withLock { _ throws(SecretStoreError) in try lockedDelete(attributes) }
        }
    }

    /// The program answering as the Secret Service, or `nil` when that cannot be told.
    package func product() -> SecretServiceProduct? {
        guard let session = try? prepare() else { return nil }
        return session.product()
    }

    /// Runs `body`, and names the program answering as the Secret Service in the error it
    /// throws, so that its message gives that program's fix.
    private func naming<T>(_ body: () throws(SecretStoreError) -> T) throws(SecretStoreError) -> T {
        do {
            return try body()
        } catch {
            var named = error
            if named.product == nil && ![.noSessionBus, .noSecretService].contains(error.code) {
                named.product = product()
            }
            throw named
        }
    }

    private func lockedSearch(_ queries: [[String: String]], _ loadSecrets: Bool) throws(SecretStoreError)
        -> [[SecretItem]]
    {
        let bus = try prepare()
        return try bus.unlessStale { () throws(SecretStoreError) in
            var asked = AskedToUnlock()
            while true {
                let target = try find(bus, queries, &asked, openingSession: loadSecrets)
                let crossChecks = zip(queries, target.found).filter { $0.1.isEmpty }.map(\.0)
                let read = try bus.readItems(
                    Array(Set(target.found.joined())).sorted(), secrets: loadSecrets, crossChecks: crossChecks,
                    schema: schema, collection: target.path)
                if try unlockedItems(bus, read.items, target, &asked) { continue }
                if let other = read.elsewhere.first {
                    // The collection's path is the item's without its last part.
                    let otherCollection = String(other[..<(other.lastIndex(of: "/") ?? other.endIndex)])
                    throw SecretStoreError(
                        .elsewhere, collection: label(bus, target.path),
                        detail: bus.collectionLabel(otherCollection) ?? otherCollection)
                }
                logger.debug("secret service search", metadata: ["matches": "\(target.found.map(\.count))"])
                return target.found.map { paths in
                    paths.compactMap { read.items[$0]?.item }.sorted { $0.modified > $1.modified }
                }
            }
        }
    }

    /// Updates the newest item of `identity` in place, or creates one: a replacing create or a
    /// delete-then-create makes KeePassXC ask the user (an item another program made, a deletion
    /// to confirm), which nobody may be there to answer. The secret is written first, so an
    /// interrupted update leaves the new secret under the old attributes, which say less than
    /// it, never more.
    private func lockedStore(
        _ bus: consuming SecretServiceOperation, _ item: SecretItem, _ identity: [String: String],
        _ transfer: SecretTransfer
    ) throws(SecretStoreError) {
        var asked = AskedToUnlock()
        var fresh = false
        while true {
            let target = try find(bus, [identity], &asked)
            let read = try bus.readItems(
                target.found[0], secrets: false, crossChecks: [], schema: schema, collection: target.path)
            if try unlockedItems(bus, read.items, target, &asked) { continue }
            let existing = target.found[0].sorted {
                (read.items[$0]?.item.modified ?? 0) > (read.items[$1]?.item.modified ?? 0)
            }
            let written: String
            do {
                written = try write(
                    bus, item, over: existing.first.flatMap { path in read.items[path].map { (path, $0.item) } },
                    in: target, transfer: transfer, fresh: fresh)
            } catch  where !fresh && error.code == .other {
                // A session the service refused or forgot (it restarted): once more, in a new one.
                logger.info("secret service write failed, trying a new session", metadata: ["error": "\(error)"])
                fresh = true
                continue
            }
            // What the service kept is read back through the plain session: an encrypted session
            // whose two ends derived different keys stores garbage without a word.
            let kept = try bus.readItems(
                [written], secrets: true, crossChecks: [], schema: schema, collection: target.path)
            guard kept.items[written]?.item.secret == item.secret else {
                if !fresh {
                    logger.info("secret service kept another secret than was written, writing it again")
                    fresh = true
                    continue
                }
                throw SecretStoreError(
                    .other, collection: collection,
                    detail: "the Secret Service did not keep the secret as written (it reads back otherwise)")
            }
            try deleteItems(bus, Array(existing.dropFirst()), target)
            logger.debug("secret service store", metadata: ["replaced": "\(existing.count)"])
            return
        }
    }

    /// Writes `item` over `current` (its path and what it holds now), or as a new item.
    /// - Parameter fresh: through a new session, not the one kept.
    /// - Returns: the path of the item written.
    private func write(
        _ bus: borrowing SecretServiceOperation, _ item: SecretItem, over current: (String, SecretItem)?,
        in target: CollectionSearch, transfer: SecretTransfer, fresh: Bool
    ) throws(SecretStoreError) -> String {
        guard let (path, stored) = current else {
            guard
                let created = try bus.createItem(
                    in: target.path, item, encoded: bus.secret(item, transfer, fresh: fresh), schema: schema,
                    promptLimit: unlockTimeout ?? timeout)
            else {
                throw SecretStoreError(
                    .accessNotAllowed, collection: label(bus, target.path),
                    detail: "the new item's prompt did not complete within \(unlockTimeout ?? timeout)")
            }
            return created
        }
        try bus.setSecret(path, encoded: bus.secret(item, transfer, fresh: fresh))
        let attributesChange = !sameAttributes(stored.attributes, item.attributes)
        if attributesChange || stored.label != item.label {
            try bus.setProperties(
                path, label: stored.label == item.label ? nil : item.label,
                attributes: attributesChange ? item.attributes : nil, schema: schema)
        }
        return path
    }

    /// Whether the stored attributes say what `wanted` says: the same value for each of ours and
    /// the schema's name, none of the schema's others. A service's own (KeePassXC adds `Title`,
    /// `Uuid`, …) do not count.
    private func sameAttributes(_ stored: [String: String], _ wanted: [String: String]) -> Bool {
        let all = wanted.merging(["xdg:schema": schema.name]) { $1 }
        return all.allSatisfy { stored[$0.key] == $0.value }
            && schema.attributeNames.allSatisfy { all[$0] != nil || stored[$0] == nil }
    }

    private func lockedDelete(_ attributes: [String: String]) throws(SecretStoreError) -> Int {
        let bus = try prepare()
        var asked = AskedToUnlock()
        let target = try find(bus, [attributes], &asked)
        try deleteItems(bus, target.found[0], target)
        logger.debug("secret service delete", metadata: ["deleted": "\(target.found[0].count)"])
        return target.found[0].count
    }

    /// Deletes the items at `paths`. A service may return a prompt for a deletion (KeePassXC does
    /// for every one, and shows a dialog in it only when it confirms deletions): the prompt is
    /// shown, and waited on at most the unlock time-out in a graphical session; without a
    /// display, one that needs no one completes at once, and one that waits for someone is
    /// dismissed after a second and said to need confirming.
    private func deleteItems(_ bus: borrowing SecretServiceOperation, _ paths: [String], _ target: CollectionSearch)
        throws(SecretStoreError)
    {
        for path in paths {
            guard let prompt = try bus.deleteItem(path) else { continue }
            let limit = unlockTimeout ?? Self.promptWithoutDisplay
            let prompting = SecretServiceOperation(
                timeout: limit + timeout, collectionName: collection, connection: connection)
            guard try prompting.confirmDeletion(prompt, of: path, within: limit, dismissing: unlockTimeout == nil)
            else {
                throw SecretStoreError(
                    .confirmationNeeded, collection: label(bus, target.path),
                    detail: unlockTimeout.map { "the deletion was not confirmed within \($0)" } ?? "")
            }
        }
    }

    /// How long, without a display, a prompt may take to complete by itself.
    static let promptWithoutDisplay = Duration.seconds(1)

    /// Which unlock prompts this operation has shown already: each at most once, so that a
    /// service that keeps saying "locked" is reported, never asked again and again.
    private struct AskedToUnlock {
        var collection = false
        var items = false
    }

    /// Finds the collection and searches it; when it is locked, shows the service's unlock prompt
    /// in a graphical session (once) and searches again, else says it is locked.
    /// - Parameter openingSession: secrets are read next: the search opens their session too.
    private func find(
        _ bus: borrowing SecretServiceOperation, _ queries: [[String: String]], _ asked: inout AskedToUnlock,
        openingSession: Bool = false
    ) throws(SecretStoreError) -> CollectionSearch {
        while true {
            guard
                let target = try bus.searchCollection(
                    named: collection, queries: queries, schema: schema, openingSession: openingSession)
            else {
                throw SecretStoreError(.collectionMissing, collection: collection)
            }
            guard target.locked else { return target }
            guard let unlockTimeout, !asked.collection else {
                throw SecretStoreError(.collectionLocked, collection: label(bus, target.path))
            }
            asked.collection = true
            try unlock([target.path], interface: "Collection", .collectionLocked, target, within: unlockTimeout)
        }
    }

    /// When some of `items` are locked for this program (KeePassXC's per-program access), shows
    /// the service's prompt for them in a graphical session (once), else says so.
    /// - Returns: whether a prompt unlocked them, so that the caller reads again.
    private func unlockedItems(
        _ bus: borrowing SecretServiceOperation, _ items: [String: BusItem], _ target: CollectionSearch,
        _ asked: inout AskedToUnlock
    ) throws(SecretStoreError) -> Bool {
        let locked = items.filter(\.value.locked).map(\.key).sorted()
        guard !locked.isEmpty else { return false }
        guard let unlockTimeout, !asked.items else {
            throw SecretStoreError(.accessNotAllowed, collection: label(bus, target.path))
        }
        asked.items = true
        try unlock(locked, interface: "Item", .accessNotAllowed, target, within: unlockTimeout)
        return true
    }

    /// Asks the Secret Service to unlock `paths` (its prompt appears on the user's display),
    /// waiting at most `limit` for the answer.
    /// - Throws: `code`, saying the prompt went unanswered, when they were not unlocked.
    private func unlock(
        _ paths: [String], interface: String, _ code: SecretStoreError.Code, _ target: CollectionSearch,
        within limit: Duration
    ) throws(SecretStoreError) {
        logger.info("asking the Secret Service to unlock", metadata: ["wait": "\(limit)", "what": "\(interface)"])
        // The calls themselves stay bounded by the keyring time-out; the waiting by `limit` (plus
        // one call's bound), so the deadline of this session must cover both.
        let prompting = SecretServiceOperation(
            timeout: limit + timeout, collectionName: collection, connection: connection)
        guard try prompting.unlock(paths, interface: interface, within: limit) else {
            throw SecretStoreError(
                code, collection: label(prompting, target.path),
                detail: "the unlock prompt was not answered within \(limit)")
        }
    }

    /// The collection as users see it ("Login", not "default").
    private func label(_ bus: borrowing SecretServiceOperation, _ path: String) -> String {
        let label = bus.collectionLabel(path) ?? ""
        return label.isEmpty ? collection : label
    }

    /// A bounded session, after checking there is a session bus to connect to at all: without
    /// one, nothing is tried (no bus is ever autolaunched).
    private func prepare() throws(SecretStoreError) -> SecretServiceOperation {
        if connection.address == nil { throw .noBusAddress(collection: collection) }
        let bound = callBound
        guard bound > .zero else {
            throw SecretStoreError(.timedOut, collection: collection, detail: "the deadline")
        }
        return SecretServiceOperation(timeout: bound, collectionName: collection, connection: connection)
    }

    /// The bound on the next call: ``timeout``, or what is left before ``deadline`` when that is less.
    private var callBound: Duration {
        guard let deadline else { return timeout }
        return min(timeout, ContinuousClock.now.duration(to: deadline))
    }
}
