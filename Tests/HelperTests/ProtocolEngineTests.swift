import ACR
import Foundation
import Testing

@testable import Helper

/// The engine byte for byte, over a scripted helper: what docker reads is exactly what is written.
@Suite struct ProtocolEngineTests {
    final class ScriptedHelper: CredentialHelper, @unchecked Sendable {
        var logins: [String: RegistryLogin] = [:]
        var failure: ACRError?
        var calls: [String] = []

        func get(_ serverURL: String) throws(ACRError) -> RegistryLogin {
            calls.append("get \(serverURL)")
            if let failure { throw failure }
            guard let login = logins[serverURL] else { throw ACRError.notFound() }
            return login
        }
        func store(serverURL: String, login: RegistryLogin) throws(ACRError) {
            calls.append("store \(serverURL) \(login.username) \(login.secret)")
            if let failure { throw failure }
            logins[serverURL] = login
        }
        func erase(_ serverURL: String) throws(ACRError) -> Erased {
            calls.append("erase \(serverURL)")
            if let failure { throw failure }
            return Erased(removed: logins.removeValue(forKey: serverURL) == nil ? 0 : 1)
        }
        func list() throws(ACRError) -> [String: String] {
            calls.append("list")
            if let failure { throw failure }
            return logins.mapValues(\.username)
        }
    }

    struct BytesInput: ProtocolInput {
        var bytes: [UInt8]
        var error: ProtocolError? = nil
        init(_ text: String) { bytes = Array(text.utf8) }
        init(bytes: [UInt8]) { self.bytes = bytes }
        func readAll(limit: Int) throws(ProtocolError) -> [UInt8] {
            if let error { throw error }
            guard bytes.count <= limit else { throw ProtocolError(.invalidInput, "too large") }
            return bytes
        }
    }

    let helper = ScriptedHelper()

    func run(_ action: ProtocolAction, _ input: BytesInput) -> (status: Int32, output: String, diagnostics: String) {
        var output = ""
        var diagnostics = ""
        let status = ProtocolEngine(helper: helper, version: "1.2.3").run(
            action, input: input, output: &output, diagnostics: &diagnostics)
        return (status, output, diagnostics)
    }

    @Test func getAnswersTheTrimmedInputAsServerURLInGoJSON() {
        helper.logins["https://reg.example.com/"] = RegistryLogin(username: "<token>", secret: "s&cret")
        let result = run(.get, BytesInput("  https://reg.example.com/\n"))
        #expect(result.status == 0)
        #expect(
            result.output
                == #"{"ServerURL":"https://reg.example.com/","Username":"\u003ctoken\u003e","Secret":"s\u0026cret"}"#
                + "\n")
        #expect(helper.calls == ["get https://reg.example.com/"])
    }

    @Test func getOfNothingStoredIsTheExactNotFoundLine() {
        let result = run(.get, BytesInput("reg.example.com"))
        #expect(result == (1, "credentials not found in native keychain\n", ""))
    }

    @Test(arguments: [ProtocolAction.get, .erase])
    func emptyServerURLIsTheExactMissingLine(_ action: ProtocolAction) {
        #expect(run(action, BytesInput("")) == (1, "no credentials server URL\n", ""))
        #expect(run(action, BytesInput(" \n\t ")) == (1, "no credentials server URL\n", ""))
        #expect(helper.calls.isEmpty)
    }

    @Test func storePassesTheThreeFieldsAndPrintsNothing() {
        let result = run(.store, BytesInput(#"{"ServerURL":"reg.example.com","Username":"alice","Secret":"pw"}"#))
        #expect(result == (0, "", ""))
        #expect(helper.calls == ["store reg.example.com alice pw"])
    }

    @Test func storeMatchesKeysAsGoDoesAndIgnoresOthers() {
        let input = #"{"serverurl":"reg.example.com","USERNAME":"alice","secret":"pw","Extra":[1,{}],"Other":null}"#
        #expect(run(.store, BytesInput(input)).status == 0)
        #expect(helper.calls == ["store reg.example.com alice pw"])
    }

    @Test func storeAcceptsAnEmptySecretAndNullMembers() {
        #expect(run(.store, BytesInput(#"{"ServerURL":"r.example","Username":"u","Secret":null}"#)).status == 0)
        #expect(helper.calls == ["store r.example u "])
    }

    @Test func storeWithoutServerURLOrUsernameIsTheExactMissingLine() {
        #expect(
            run(.store, BytesInput(#"{"Username":"alice","Secret":"pw"}"#)) == (1, "no credentials server URL\n", ""))
        #expect(
            run(.store, BytesInput(#"{"ServerURL":"","Username":"alice"}"#)) == (1, "no credentials server URL\n", ""))
        #expect(
            run(.store, BytesInput(#"{"ServerURL":"r.example","Secret":"pw"}"#)) == (1, "no credentials username\n", "")
        )
        #expect(helper.calls.isEmpty)
    }

    @Test(arguments: [
        "", "   ", "not json hunter2", #"["ServerURL"]"#,
        #"{"ServerURL":"r.example","Username":"u","Secret":"hunter2""#,
        #"{"ServerURL":"r.example","Username":"u","Secret":"hunter2"} trailing"#, "null", "\"hunter2\"",
    ])
    func storeRefusesWhatIsNotACredentialsObjectWithoutRepeatingIt(_ input: String) {
        let result = run(.store, BytesInput(input))
        #expect(result.status == 1)
        #expect(result.output.hasPrefix("invalid input for store: "))
        #expect(result.output.hasSuffix("\n") && result.output.filter { $0 == "\n" }.count == 1)
        #expect(!result.output.contains("hunter2"))
        #expect(helper.calls.isEmpty)
    }

    @Test func storeRefusesMembersThatAreNotStrings() {
        let result = run(.store, BytesInput(#"{"ServerURL":"r.example","Username":42,"Secret":"hunter2"}"#))
        #expect(result == (1, "invalid input for store: Username must be a string\n", ""))
    }

    @Test(arguments: [ProtocolAction.get, .store, .erase])
    func refusesInputThatIsNotUTF8(_ action: ProtocolAction) {
        let result = run(action, BytesInput(bytes: [0x72, 0xff, 0xfe, 0x2e]))
        #expect(result == (1, "invalid input for \(action.rawValue): it is not UTF-8 text\n", ""))
        #expect(helper.calls.isEmpty)
    }

    @Test func erasePassesTheTrimmedServerURL() {
        helper.logins["reg.example.com"] = RegistryLogin(username: "u", secret: "s")
        #expect(run(.erase, BytesInput("reg.example.com\n")) == (0, "", ""))
        #expect(helper.calls == ["erase reg.example.com"])
    }

    @Test func listIsASortedObjectAndNeverReadsInput() {
        var input = BytesInput("")
        input.error = ProtocolError(.invalidInput, "list must not read its input")
        #expect(run(.list, input) == (0, "{}\n", ""))
        helper.logins = [
            "b.example": RegistryLogin(username: "bob", secret: "x"),
            "a.example": RegistryLogin(username: "<al>", secret: "y"),
        ]
        #expect(run(.list, input) == (0, #"{"a.example":"\u003cal\u003e","b.example":"bob"}"# + "\n", ""))
    }

    @Test func versionNamesTheHelper() {
        #expect(run(.version, BytesInput("")) == (0, "docker-credential-acr-helper 1.2.3\n", ""))
    }

    @Test func errorsAreOneLineOnOutputAndHintsGoToDiagnostics() {
        helper.failure = ACRError(.keyring, "cannot read credentials for r.example:\nlocked", hint: "hint: unlock it")
        let result = run(.get, BytesInput("r.example"))
        #expect(result == (1, "cannot read credentials for r.example: locked\n", "hint: unlock it\n"))
    }

    @Test func inputErrorsAreReportedAsTheyAre() {
        var input = BytesInput("x")
        input.error = ProtocolError(.invalidInput, "invalid input for get: more than 1 MiB")
        #expect(run(.get, input) == (1, "invalid input for get: more than 1 MiB\n", ""))
    }
}
