/// JSON text written byte for byte as Go's `encoding/json` writes it, because docker's own
/// helpers are Go programs and clients compare what helpers print.
///
/// Go escapes `<`, `>` and `&` (as `\u003c`, `\u003e`, `\u0026`), U+2028 and U+2029, `"` and `\`,
/// and control characters (`\b \f \n \r \t` short, others as `\u00XX`); all else is literal UTF-8.
package enum JSONText {
    /// `value` as a JSON string literal, quotes included.
    /// - Parameter escapingBraces: also write `{` and `}` as `\u007b` and `\u007d` (see
    ///   ``keyringObject(_:)``).
    package static func quoted(_ value: String, escapingBraces: Bool = false) -> String {
        var out = "\""
        out.reserveCapacity(value.utf8.count + 2)
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "<", ">", "&", "\u{2028}", "\u{2029}": out += unicodeEscape(scalar.value)
            case "{" where escapingBraces, "}" where escapingBraces: out += unicodeEscape(scalar.value)
            default:
                if scalar.value < 0x20 {
                    out += unicodeEscape(scalar.value)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out += "\""
        return out
    }

    /// An object with the members in the order given: `{"a":"1","b":"2"}`.
    package static func object(_ members: [(String, String)]) -> String {
        object(members.map { ($0.0, Member.string($0.1)) })
    }

    /// A member's value: a string, or a whole number written bare.
    package enum Member: Sendable {
        case string(String)
        case number(Int)
    }

    /// An object with the members in the order given: `{"a":"1","n":2}`.
    package static func object(_ members: [(String, Member)]) -> String {
        object(members, escapingBraces: false)
    }

    /// An object as a keyring item's secret is written: as ``object(_:)``, with every brace inside
    /// a string escaped. KeePassXC refuses to store a secret that holds anything of the form of
    /// its field references (`{REF:P@I:…}`) anywhere in it; escaped, a password holding one is
    /// stored and reads back (every JSON reader turns `\u007b` back into `{`).
    package static func keyringObject(_ members: [(String, Member)]) -> String {
        object(members, escapingBraces: true)
    }

    /// ``keyringObject(_:)`` of string members.
    package static func keyringObject(_ members: [(String, String)]) -> String {
        keyringObject(members.map { ($0.0, Member.string($0.1)) })
    }

    private static func object(_ members: [(String, Member)], escapingBraces: Bool) -> String {
        let written = members.map { name, value in
            switch value {
            case .string(let text): quoted(name) + ":" + quoted(text, escapingBraces: escapingBraces)
            case .number(let number): quoted(name) + ":" + String(number)
            }
        }
        return "{" + written.joined(separator: ",") + "}"
    }

    /// An object with its members sorted by key, as Go writes a `map[string]string`.
    package static func object(sortedFrom dictionary: [String: String]) -> String {
        object(dictionary.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })
    }

    private static func unicodeEscape(_ value: UInt32) -> String {
        let hex = String(value, radix: 16)
        return "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
    }
}
