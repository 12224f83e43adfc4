/// A D-Bus value: an argument of a call, or what a reply holds, read only after its signature was
/// checked against the type the call expects (BusConnection.swift). Reading a member a value does
/// not have gives an empty value, never a trap: a reply is the Secret Service's word, not ours.
indirect enum BusValue: Equatable, Sendable {
    case string(String)
    case objectPath(String)
    case boolean(Bool)
    case uint32(UInt32)
    case uint64(UInt64)
    /// An `ay`, read and written whole.
    case bytes([UInt8])
    case variant(BusValue)
    /// An array of values of the signature `element` (given, so that an empty one has a type).
    case array(element: String, [BusValue])
    case dictEntry(BusValue, BusValue)
    case structure([BusValue])
    /// A value of another type, read from a reply but never looked into: its signature.
    case other(String)

    /// The value's D-Bus signature.
    var signature: String {
        switch self {
        case .string: "s"
        case .objectPath: "o"
        case .boolean: "b"
        case .uint32: "u"
        case .uint64: "t"
        case .bytes: "ay"
        case .variant: "v"
        case .array(let element, _): "a" + element
        case .dictEntry(let key, let value): "{" + key.signature + value.signature + "}"
        case .structure(let members): "(" + members.map(\.signature).joined() + ")"
        case .other(let signature): signature
        }
    }

    /// An `a{ss}` of `pairs`, sorted by key (the order a reader sees does not change).
    static func stringDictionary(_ pairs: [String: String]) -> BusValue {
        .array(
            element: "{ss}", pairs.sorted { $0.key < $1.key }.map { .dictEntry(.string($0.key), .string($0.value)) })
    }

    /// An `ao` of `paths`.
    static func objectPaths(_ paths: [String]) -> BusValue { .array(element: "o", paths.map { .objectPath($0) }) }

    /// Member `index` of a structure, array or dictionary entry; `.other("")` when there is none.
    func child(_ index: Int) -> BusValue {
        let members: [BusValue]
        switch self {
        case .structure(let values), .array(_, let values): members = values
        case .dictEntry(let key, let value): members = [key, value]
        default: members = []
        }
        return members.indices.contains(index) ? members[index] : .other("")
    }

    /// The number of members of a container, 0 for anything else.
    var count: Int {
        switch self {
        case .structure(let values), .array(_, let values): values.count
        case .dictEntry: 2
        default: 0
        }
    }

    /// A string or object path, or `nil` for a value of another type.
    var string: String? {
        switch self {
        case .string(let text), .objectPath(let text): text
        default: nil
        }
    }

    /// A boolean, or `nil` for a value of another type.
    var boolean: Bool? {
        if case .boolean(let value) = self { value } else { nil }
    }

    /// An unsigned 32-bit number, or `nil` for a value of another type.
    var uint32: UInt32? {
        if case .uint32(let value) = self { value } else { nil }
    }

    /// An unsigned 64-bit number, or `nil` for a value of another type.
    var uint64: UInt64? {
        if case .uint64(let value) = self { value } else { nil }
    }

    /// The value inside a `v`, or `nil` when this is not one.
    var unboxed: BusValue? {
        if case .variant(let value) = self { value } else { nil }
    }

    /// The bytes of an `ay` (empty for another type).
    var bytes: [UInt8] {
        if case .bytes(let value) = self { value } else { [] }
    }

    /// Whether the value has the type `signature`.
    func isOf(_ signature: String) -> Bool { self.signature == signature }
}
