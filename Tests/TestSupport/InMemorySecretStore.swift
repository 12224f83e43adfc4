import Foundation
import SecretStore

/// A secret store in memory with the Secret Service's matching rules, for unit tests of the logic
/// above the keyring. The real keyring has its own tests.
package final class InMemorySecretStore: SecretStoring, @unchecked Sendable {
    private let lock = NSLock()
    private var items: [SecretItem] = []
    private var clock: UInt64 = 0
    /// When set, every call fails with it.
    package var failure: SecretStoreError?
    private var queries: [[String: String]] = []
    private var transfers: [(kind: String, transfer: SecretTransfer)] = []
    /// The attributes of every search made, in order.
    package var searches: [[String: String]] { lock.withLock { queries } }
    /// How each store's secret was asked to cross, by the stored item's `kind` attribute, in order.
    package var storedTransfers: [(kind: String, transfer: SecretTransfer)] { lock.withLock { transfers } }

    package init(items: [SecretItem] = []) { self.items = items }

    /// Everything stored, oldest first.
    package var all: [SecretItem] { lock.withLock { items } }

    package func search(_ attributes: [String: String], loadSecrets: Bool) throws -> [SecretItem] {
        try lock.withLock {
            queries.append(attributes)
            if let failure { throw failure }
            return items.filter { matches($0, attributes) }
                .map {
                    SecretItem(
                        label: $0.label, attributes: $0.attributes, secret: loadSecrets ? $0.secret : nil,
                        modified: $0.modified)
                }
                .sorted { $0.modified > $1.modified }
        }
    }

    package func store(_ item: SecretItem, replacing identity: [String: String], transfer: SecretTransfer) throws {
        try lock.withLock {
            if let failure { throw failure }
            transfers.append((item.attributes["kind"] ?? "", transfer))
            clock += 1
            items.removeAll { $0.attributes == item.attributes || matches($0, identity) }
            var stored = item
            stored.modified = clock
            items.append(stored)
        }
    }

    package func delete(_ attributes: [String: String]) throws -> Int {
        try lock.withLock {
            if let failure { throw failure }
            let before = items.count
            items.removeAll { matches($0, attributes) }
            return before - items.count
        }
    }

    private func matches(_ item: SecretItem, _ attributes: [String: String]) -> Bool {
        attributes.allSatisfy { item.attributes[$0.key] == $0.value }
    }
}
