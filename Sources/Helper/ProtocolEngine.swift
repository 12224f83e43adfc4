import ACR
import FoundationEssentials

/// The actions of docker's credential-helper protocol.
enum ProtocolAction: String, CaseIterable, Sendable {
    case get, store, erase, list, version
}

/// Where the engine reads its request from: standard input in the executable, bytes in tests.
protocol ProtocolInput {
    /// Everything on the input, at most `limit` bytes.
    /// - Throws: ``ProtocolError`` when there is more, when it cannot be read in time, or when it
    ///   is a terminal (docker never calls a helper with one).
    func readAll(limit: Int) throws(ProtocolError) -> [UInt8]
}

/// docker's credential-helper protocol (docs/design.md#the-protocol), byte for byte as docker's Go helpers speak it:
/// one function over (helper, action, input, output), so every action is tested without processes.
///
/// Results go to `output`; an error goes to `output` too, as one line, because docker embeds that
/// text in its own message; longer hints go to `diagnostics` (stderr), which docker shows as is.
struct ProtocolEngine {
    /// The largest request read, far above any real one.
    static let inputLimit = 1 << 20

    let helper: any CredentialHelper
    let version: String

    /// What `version` prints.
    static func versionAnswer(_ version: String) -> String {
        "docker-credential-acr-helper \(version)\n"
    }

    /// Runs `action` and returns the exit status (0 or 1).
    func run(
        _ action: ProtocolAction, input: some ProtocolInput, output: inout String, diagnostics: inout String
    ) -> Int32 {
        do {
            output += try answer(action, input: input, diagnostics: &diagnostics)
            return 0
        } catch {
            let (message, hint) = describe(error)
            // One line, whatever the cause: docker reads the first line only.
            output += message.split(whereSeparator: \.isNewline).joined(separator: " ") + "\n"
            if let hint { diagnostics += hint + "\n" }
            return 1
        }
    }

    private func answer(_ action: ProtocolAction, input: some ProtocolInput, diagnostics: inout String) throws
        -> String
    {
        switch action {
        case .get:
            let serverURL = try readServerURL(action, input)
            let login = try helper.get(serverURL)
            return JSONText.object([("ServerURL", serverURL), ("Username", login.username), ("Secret", login.secret)])
                + "\n"
        case .store:
            let request = try StoreRequest(decoding: readText(action, input))
            guard !request.serverURL.isEmpty else { throw ProtocolError.missingServerURL }
            guard !request.username.isEmpty else { throw ProtocolError.missingUsername }
            try helper.store(
                serverURL: request.serverURL, login: RegistryLogin(username: request.username, secret: request.secret))
            return ""
        case .erase:
            let serverURL = try readServerURL(action, input)
            let erased = try helper.erase(serverURL)
            if erased.removed > 0, let note = DeletionNote.text(for: helper.secretServiceProduct()) {
                diagnostics += note + "\n"
            }
            if let key = erased.keptKeyID {
                diagnostics += DeletionNote.keptKey(key, serverURL: serverURL) + "\n"
            }
            return ""
        case .list:
            // docker sends nothing to read for list: stdin is left alone.
            return JSONText.object(sortedFrom: try helper.list()) + "\n"
        case .version:
            return Self.versionAnswer(version)
        }
    }

    /// The server URL of a `get` or `erase`: the whole input with surrounding white space trimmed,
    /// as docker's helpers read it.
    private func readServerURL(_ action: ProtocolAction, _ input: some ProtocolInput) throws -> String {
        let serverURL = try readText(action, input).trimmingWhitespace()
        guard !serverURL.isEmpty else { throw ProtocolError.missingServerURL }
        return serverURL
    }

    private func readText(_ action: ProtocolAction, _ input: some ProtocolInput) throws(ProtocolError) -> String {
        let bytes = try input.readAll(limit: Self.inputLimit)
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw ProtocolError(.invalidInput, "invalid input for \(action.rawValue): it is not UTF-8 text")
        }
        return text
    }

    private func describe(_ error: any Error) -> (message: String, hint: String?) {
        switch error {
        case let error as ACRError: (error.message, error.hints)
        case let error as ProtocolError: (error.message, error.hint)
        default: ("docker-credential-acr-helper: \(error)", nil)
        }
    }
}

/// A request that is not what the protocol allows.
struct ProtocolError: Error, Sendable, Equatable, CustomStringConvertible {
    enum Code: Sendable, Equatable { case missingServerURL, missingUsername, invalidInput }

    let code: Code
    let message: String
    var hint: String? = nil

    init(_ code: Code, _ message: String, hint: String? = nil) {
        self.code = code
        self.message = message
        self.hint = hint
    }

    var description: String { message }

    /// The exact texts of docker's helpers, which clients may match.
    static let missingServerURL = ProtocolError(.missingServerURL, "no credentials server URL")
    static let missingUsername = ProtocolError(.missingUsername, "no credentials username")
}

/// The JSON `store` reads: `{"ServerURL":"…","Username":"…","Secret":"…"}`.
///
/// Keys match without regard to case and a missing or null member is empty, as Go's
/// `encoding/json` decodes docker's `Credentials` struct; any other member is ignored.
struct StoreRequest: Decodable {
    var serverURL = ""
    var username = ""
    var secret = ""

    /// Decodes the request; the error never repeats the input, which holds a secret.
    init(decoding text: String) throws(ProtocolError) {
        let shape = "expected {\"ServerURL\":…,\"Username\":…,\"Secret\":…}"
        guard !text.trimmingWhitespace().isEmpty else {
            throw ProtocolError(.invalidInput, "invalid input for store: it is empty, \(shape)")
        }
        do {
            self = try JSONDecoder().decode(StoreRequest.self, from: Data(text.utf8))
        } catch let error as ProtocolError {
            throw error
        } catch {
            throw ProtocolError(.invalidInput, "invalid input for store: not a JSON object, \(shape)")
        }
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: AnyKey.self)
        for key in container.allKeys {
            let field = key.stringValue.lowercased()
            guard ["serverurl", "username", "secret"].contains(field), try !container.decodeNil(forKey: key) else {
                continue
            }
            guard let value = try? container.decode(String.self, forKey: key) else {
                throw ProtocolError(.invalidInput, "invalid input for store: \(key.stringValue) must be a string")
            }
            switch field {
            case "serverurl": serverURL = value
            case "username": username = value
            default: secret = value
            }
        }
    }

    private struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
}
