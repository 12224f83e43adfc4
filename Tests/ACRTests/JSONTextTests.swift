import ACR
import Testing

/// The expected texts are what Go's encoding/json (json.Marshal of a string) writes.
@Suite struct JSONTextTests {
    @Test(arguments: [
        ("plain", #""plain""#),
        ("<token>", #""\u003ctoken\u003e""#),
        ("a&b", #""a\u0026b""#),
        ("quote\"back\\slash", #""quote\"back\\slash""#),
        ("\n\r\t\u{08}\u{0C}", #""\n\r\t\b\f""#),
        ("\u{01}\u{1F}\u{7F}", "\"\\u0001\\u001f\u{7F}\""),
        ("line\u{2028}para\u{2029}", #""line\u2028para\u2029""#),
        ("ünï 🔑 中", "\"ünï 🔑 中\""),
        ("", #""""#),
    ])
    func quotesAsGoDoes(_ input: String, _ expected: String) {
        #expect(JSONText.quoted(input) == expected)
    }

    @Test func writesObjectsInTheOrderGivenOrSorted() {
        #expect(JSONText.object([("b", "1"), ("a", "2")]) == #"{"b":"1","a":"2"}"#)
        #expect(JSONText.object(sortedFrom: ["b": "1", "a": "2", "B": "3"]) == #"{"B":"3","a":"2","b":"1"}"#)
        #expect(JSONText.object(sortedFrom: [:]) == "{}")
    }
}
