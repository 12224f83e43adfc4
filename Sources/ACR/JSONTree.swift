/// A JSON document kept as written: members in their order, numbers as their text. Files of
/// other programs (docker's config.json, the aliyun CLI's) are edited through it, changing only
/// what the edit changes.
package indirect enum JSONTree: Sendable, Equatable {
    case object([(String, JSONTree)])
    case array([JSONTree])
    case string(String)
    /// The number's text as written.
    case number(String)
    case bool(Bool)
    case null

    package static func == (lhs: JSONTree, rhs: JSONTree) -> Bool {
        switch (lhs, rhs) {
        case (.object(let a), .object(let b)):
            a.count == b.count && zip(a, b).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        case (.array(let a), .array(let b)): a == b
        case (.string(let a), .string(let b)): a == b
        case (.number(let a), .number(let b)): a == b
        case (.bool(let a), .bool(let b)): a == b
        case (.null, .null): true
        default: false
        }
    }

    /// A member of an object, or `nil`. Of members named twice the last one, as Go's
    /// `encoding/json` (docker, the aliyun CLI) reads them.
    package subscript(key: String) -> JSONTree? {
        guard case .object(let members) = self else { return nil }
        return members.last { $0.0 == key }?.1
    }

    /// Every member named `key`, in order: what a file holds, beyond what its readers see.
    package func all(_ key: String) -> [JSONTree] {
        guard case .object(let members) = self else { return [] }
        return members.filter { $0.0 == key }.map(\.1)
    }

    /// The string, or `nil`.
    package var stringValue: String? {
        if case .string(let text) = self { return text }
        return nil
    }

    /// Sets (or, with `nil`, removes) a member of an object, keeping the others in place. A member
    /// named more than once is set in the first one's place and its other copies removed, so that
    /// every reader, whichever copy it takes, sees the edit.
    package mutating func set(_ key: String, _ value: JSONTree?) {
        guard case .object(var members) = self else { return }
        if let index = members.firstIndex(where: { $0.0 == key }) {
            members = members.enumerated().compactMap { offset, member in
                guard member.0 == key else { return member }
                guard offset == index, let value else { return nil }
                return (key, value)
            }
        } else if let value {
            members.append((key, value))
        }
        self = .object(members)
    }

    // MARK: Parsing

    /// Parses a whole document.
    /// - Throws: ``JSONTreeError`` with the byte offset of the first thing that is not JSON.
    package static func parse(_ bytes: [UInt8]) throws(JSONTreeError) -> JSONTree {
        // Without noting spans: a keyring secret read on every `get` needs the values alone.
        var parser = Parser(bytes: bytes, notingSpans: false)
        return try parser.document()
    }

    /// Parses a whole document, noting where each value sits, so that one value can be replaced in
    /// the file's bytes and every other byte left as it was.
    /// - Returns: the tree, and the byte ranges of every value by its path (member names, and array
    ///   indices as decimal text): several where a member is named more than once.
    package static func parseWithSpans(_ bytes: [UInt8]) throws(JSONTreeError) -> (
        tree: JSONTree, spans: [[String]: [Range<Int>]]
    ) {
        var parser = Parser(bytes: bytes, notingSpans: true)
        return (try parser.document(), parser.spans)
    }

    private struct Parser {
        let bytes: [UInt8]
        /// Whether ``spans`` is kept.
        let notingSpans: Bool
        var offset = 0
        var path: [String] = []
        var spans: [[String]: [Range<Int>]] = [:]

        init(bytes: [UInt8], notingSpans: Bool) {
            self.bytes = bytes
            self.notingSpans = notingSpans
        }

        /// The one value of a whole document, with nothing after it but space.
        mutating func document() throws(JSONTreeError) -> JSONTree {
            let value = try value(depth: 0)
            skipSpace()
            guard offset == bytes.count else { throw failure("text after the document") }
            return value
        }

        func failure(_ what: String) -> JSONTreeError { JSONTreeError(offset: offset, reason: what) }

        mutating func skipSpace() {
            while offset < bytes.count, [0x20, 0x09, 0x0a, 0x0d].contains(bytes[offset]) { offset += 1 }
        }

        mutating func value(depth: Int) throws(JSONTreeError) -> JSONTree {
            guard depth < 512 else { throw failure("nested too deeply") }
            skipSpace()
            let start = offset
            let parsed = try bareValue(depth: depth)
            if notingSpans { spans[path, default: []].append(start..<offset) }
            return parsed
        }

        mutating func bareValue(depth: Int) throws(JSONTreeError) -> JSONTree {
            guard offset < bytes.count else { throw failure("unexpected end") }
            switch bytes[offset] {
            case UInt8(ascii: "{"): return try object(depth: depth)
            case UInt8(ascii: "["): return try array(depth: depth)
            case UInt8(ascii: "\""): return .string(try string())
            case UInt8(ascii: "t"): return try literal("true", .bool(true))
            case UInt8(ascii: "f"): return try literal("false", .bool(false))
            case UInt8(ascii: "n"): return try literal("null", .null)
            default: return try number()
            }
        }

        mutating func literal(_ word: String, _ value: JSONTree) throws(JSONTreeError) -> JSONTree {
            let expected = Array(word.utf8)
            guard offset + expected.count <= bytes.count, Array(bytes[offset..<offset + expected.count]) == expected
            else { throw failure("not a JSON value") }
            offset += expected.count
            return value
        }

        mutating func object(depth: Int) throws(JSONTreeError) -> JSONTree {
            offset += 1
            var members: [(String, JSONTree)] = []
            skipSpace()
            if offset < bytes.count, bytes[offset] == UInt8(ascii: "}") {
                offset += 1
                return .object(members)
            }
            while true {
                skipSpace()
                guard offset < bytes.count, bytes[offset] == UInt8(ascii: "\"") else {
                    throw failure("expected a member name")
                }
                let key = try string()
                skipSpace()
                guard offset < bytes.count, bytes[offset] == UInt8(ascii: ":") else { throw failure("expected :") }
                offset += 1
                path.append(key)
                members.append((key, try value(depth: depth + 1)))
                path.removeLast()
                skipSpace()
                guard offset < bytes.count else { throw failure("unexpected end") }
                if bytes[offset] == UInt8(ascii: ",") {
                    offset += 1
                } else if bytes[offset] == UInt8(ascii: "}") {
                    offset += 1
                    return .object(members)
                } else {
                    throw failure("expected , or }")
                }
            }
        }

        mutating func array(depth: Int) throws(JSONTreeError) -> JSONTree {
            offset += 1
            var elements: [JSONTree] = []
            skipSpace()
            if offset < bytes.count, bytes[offset] == UInt8(ascii: "]") {
                offset += 1
                return .array(elements)
            }
            while true {
                path.append(String(elements.count))
                elements.append(try value(depth: depth + 1))
                path.removeLast()
                skipSpace()
                guard offset < bytes.count else { throw failure("unexpected end") }
                if bytes[offset] == UInt8(ascii: ",") {
                    offset += 1
                } else if bytes[offset] == UInt8(ascii: "]") {
                    offset += 1
                    return .array(elements)
                } else {
                    throw failure("expected , or ]")
                }
            }
        }

        mutating func number() throws(JSONTreeError) -> JSONTree {
            let start = offset
            if offset < bytes.count, bytes[offset] == UInt8(ascii: "-") { offset += 1 }
            let digitsStart = offset
            while offset < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[offset]) { offset += 1 }
            guard offset > digitsStart else { throw failure("not a JSON value") }
            if bytes[digitsStart] == UInt8(ascii: "0") && offset - digitsStart > 1 { throw failure("leading zero") }
            if offset < bytes.count, bytes[offset] == UInt8(ascii: ".") {
                offset += 1
                let fraction = offset
                while offset < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[offset]) {
                    offset += 1
                }
                guard offset > fraction else { throw failure("a fraction needs digits") }
            }
            if offset < bytes.count, bytes[offset] == UInt8(ascii: "e") || bytes[offset] == UInt8(ascii: "E") {
                offset += 1
                if offset < bytes.count, bytes[offset] == UInt8(ascii: "+") || bytes[offset] == UInt8(ascii: "-") {
                    offset += 1
                }
                let exponent = offset
                while offset < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[offset]) {
                    offset += 1
                }
                guard offset > exponent else { throw failure("an exponent needs digits") }
            }
            return .number(String(decoding: bytes[start..<offset], as: UTF8.self))
        }

        mutating func string() throws(JSONTreeError) -> String {
            offset += 1
            var scalars = String.UnicodeScalarView()
            var run: [UInt8] = []
            func flush() throws(JSONTreeError) {
                guard !run.isEmpty else { return }
                guard let text = String(validating: run, as: UTF8.self) else { throw failure("not UTF-8") }
                scalars.append(contentsOf: text.unicodeScalars)
                run.removeAll()
            }
            while offset < bytes.count {
                let byte = bytes[offset]
                switch byte {
                case UInt8(ascii: "\""):
                    offset += 1
                    try flush()
                    return String(scalars)
                case UInt8(ascii: "\\"):
                    try flush()
                    offset += 1
                    guard offset < bytes.count else { throw failure("unexpected end") }
                    let escape = bytes[offset]
                    offset += 1
                    switch escape {
                    case UInt8(ascii: "\""): scalars.append("\"")
                    case UInt8(ascii: "\\"): scalars.append("\\")
                    case UInt8(ascii: "/"): scalars.append("/")
                    case UInt8(ascii: "b"): scalars.append("\u{08}")
                    case UInt8(ascii: "f"): scalars.append("\u{0C}")
                    case UInt8(ascii: "n"): scalars.append("\n")
                    case UInt8(ascii: "r"): scalars.append("\r")
                    case UInt8(ascii: "t"): scalars.append("\t")
                    case UInt8(ascii: "u"):
                        var code = try hex4()
                        if (0xD800...0xDBFF).contains(code), offset + 6 <= bytes.count,
                            bytes[offset] == UInt8(ascii: "\\"), bytes[offset + 1] == UInt8(ascii: "u")
                        {
                            offset += 2
                            let low = try hex4()
                            guard (0xDC00...0xDFFF).contains(low) else { throw failure("a lone surrogate") }
                            code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                        }
                        guard let scalar = Unicode.Scalar(code) else { throw failure("a lone surrogate") }
                        scalars.append(scalar)
                    default:
                        throw failure("an unknown escape")
                    }
                default:
                    guard byte >= 0x20 else { throw failure("a control character in a string") }
                    run.append(byte)
                    offset += 1
                }
            }
            throw failure("an unterminated string")
        }

        mutating func hex4() throws(JSONTreeError) -> UInt32 {
            guard offset + 4 <= bytes.count else { throw failure("a short \\u escape") }
            var value: UInt32 = 0
            for byte in bytes[offset..<offset + 4] {
                guard let digit = Character(UnicodeScalar(byte)).hexDigitValue else {
                    throw failure("a bad \\u escape")
                }
                value = value * 16 + UInt32(digit)
            }
            offset += 4
            return value
        }
    }

    // MARK: Writing

    /// The document indented with tabs, as docker writes its config (Go's `MarshalIndent`).
    package func written(indent: String = "\t") -> String {
        var out = ""
        write(into: &out, level: 0, indent: indent)
        return out
    }

    private func write(into out: inout String, level: Int, indent: String) {
        let inner = String(repeating: indent, count: level + 1)
        let outer = String(repeating: indent, count: level)
        switch self {
        case .object(let members):
            guard !members.isEmpty else { return out += "{}" }
            out += "{\n"
            for (index, (key, value)) in members.enumerated() {
                out += inner + JSONText.quoted(key) + ": "
                value.write(into: &out, level: level + 1, indent: indent)
                out += index < members.count - 1 ? ",\n" : "\n"
            }
            out += outer + "}"
        case .array(let elements):
            guard !elements.isEmpty else { return out += "[]" }
            out += "[\n"
            for (index, value) in elements.enumerated() {
                out += inner
                value.write(into: &out, level: level + 1, indent: indent)
                out += index < elements.count - 1 ? ",\n" : "\n"
            }
            out += outer + "]"
        case .string(let text): out += JSONText.quoted(text)
        case .number(let text): out += text
        case .bool(let value): out += value ? "true" : "false"
        case .null: out += "null"
        }
    }
}

/// Where a document stops being JSON.
package struct JSONTreeError: Error, Sendable, Equatable, CustomStringConvertible {
    package let offset: Int
    package let reason: String
    package var description: String { "not JSON at byte \(offset): \(reason)" }
}
