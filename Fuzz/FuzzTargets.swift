// libFuzzer entry point over the helper's parsers. Built by scripts/fuzz with swiftc against the
// modules SwiftPM builds with coverage instrumentation (a SwiftPM executable target would link
// Swift's own main, and libFuzzer would never start).

@testable import ACR
import Foundation
import Logging

@testable import SecretStore

@testable import Helper

/// The first byte picks the parser; the rest is its input. Each target also checks a property
/// that must hold for every input, so a wrong answer crashes as loudly as a crash.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    guard size > 0 else { return 0 }
    let selector = data[0]
    let bytes = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    let text = String(decoding: bytes, as: UTF8.self)
    switch selector % 7 {
    case 0: fuzzServerAddress(text)
    case 1: fuzzJSONTree(bytes)
    case 2: fuzzCredentialFile(bytes)
    case 3: fuzzProtocol(bytes, action: ProtocolAction.allCases[Int(selector / 7) % ProtocolAction.allCases.count])
    case 4: _ = try? ConfigFile.parse(bytes, path: "config.json")
    case 5: fuzzDates(text)
    default:
        // Bytes from the network and from keyring items: an API error body, a token answer, a
        // cached token item.
        _ = APIErrorBody.parse(bytes)
        fuzzTokenAnswer(bytes)
        fuzzCachedToken(text)
        // And a Secret Service's GetAll reply, a whole message as it crosses the bus: read,
        // whatever it holds, without a trap.
        _ = itemProperties(wireFormat: bytes)
    }
    return 0
}

/// Answers the API as `body` (HTTP 200), every time.
struct FixedAnswer: HTTPTransport {
    let body: [UInt8]
    func send(_ request: HTTPRequest) throws(TransportError) -> HTTPResponse {
        HTTPResponse(status: 200, headers: ["date": "Tue, 01 Dec 2026 12:00:00 GMT"], body: body)
    }
}

/// A token answer of any shape: a token comes back with a plausible expiry, or an error; and the
/// cache's arithmetic on what comes back never traps.
func fuzzTokenAnswer(_ bytes: [UInt8]) {
    let api = APIClient(transport: FixedAnswer(body: bytes), timeout: .seconds(1), logger: Logger(label: "fuzz"))
    let client = ACRTokenClient(api: api, settings: Settings())
    let key = AccessKey(id: "LTAI5tFuzzKey0000001", secret: "fuzz")
    for registry in [
        ACRRegistry(edition: .personal, region: "cn-hangzhou", vpc: false),
        ACRRegistry(edition: .instance(id: "cri-fuzz"), region: "cn-hangzhou", vpc: false),
    ] {
        let server = try! ServerAddress(parsing: "registry.cn-hangzhou.aliyuncs.com")
        guard let token = try? client.token(for: registry, server: server, key: key) else { continue }
        precondition(CachedToken.plausibleTimes.contains(token.expiresAt), "implausible expiry taken")
        let cached = CachedToken(token, mintedBy: key.id, now: 1_796_126_400)
        _ = cached.implausibleExpiry(now: 1_796_126_400)
        _ = cached.isReusable(now: 1_796_126_400, mintedBy: key.id, endpoints: [token.endpoint])
    }
}

/// A cached token item's secret, as another program may have written it: read as a cached
/// password only with plausible times, and used without a trap.
func fuzzCachedToken(_ text: String) {
    let item = SecretItem(
        label: "token", attributes: ["kind": "token", "server": "r.example.com", "minted_by": "k", "endpoint": "e"],
        secret: text)
    guard let token = CredentialKeyring.cachedToken(item) else { return }
    precondition(CachedToken.plausibleTimes.contains(token.expiresAt), "implausible cached expiry taken")
    _ = token.isReusable(now: 1_796_126_400, mintedBy: "k", endpoints: ["e"])
    _ = token.isAlive(now: 1_796_126_400)
    _ = token.margin
}

/// Host normalisation is idempotent, and no host with `@` or a space is ever accepted.
func fuzzServerAddress(_ text: String) {
    guard let address = try? ServerAddress(parsing: text) else { return }
    precondition(!address.description.contains("@") && !address.description.contains(" "), "accepted \(text)")
    let again = try? ServerAddress(parsing: address.description)
    precondition(again == address, "not idempotent: \(text)")
    if let registry = RegistryHosts.registry(for: address) {
        precondition(address.host.hasSuffix(".aliyuncs.com"), "ACR registry outside aliyuncs.com: \(text)")
        precondition(RegistryHosts.isRegion(registry.region))
    }
}

/// What parses, written back, parses to the same tree.
func fuzzJSONTree(_ bytes: [UInt8]) {
    guard let tree = try? JSONTree.parse(bytes) else { return }
    let written = Array(tree.written().utf8)
    precondition((try? JSONTree.parse(written)) == tree, "round trip changed the document")
}

/// Reading either file format never crashes, and removing a profile's secret keeps the file
/// readable with that profile holding no secret.
func fuzzCredentialFile(_ bytes: [UInt8]) {
    let path = NSTemporaryDirectory() + "fuzz-credentials-\(getpid())"
    _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
    defer { try? FileManager.default.removeItem(atPath: path) }
    for format in [CredentialFiles.Format.credentialsFile, .aliyunCLI] {
        guard let profile = try? CredentialFiles.profile(at: path, format: format, named: nil, environment: [:]),
            profile.key != nil, let without = try? CredentialFiles.withoutSecret(bytes, of: profile, note: "moved")
        else { continue }
        _ = FileManager.default.createFile(atPath: path, contents: Data(without))
        let after = try? CredentialFiles.profile(at: path, format: format, named: profile.name, environment: [:])
        precondition(after?.key == nil || profile.secretProfile != profile.name, "secret still there")
        _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
    }
}

/// The protocol engine on any input: one line on failure, never a crash, never the input echoed
/// after a store (it may hold a secret).
func fuzzProtocol(_ bytes: [UInt8], action: ProtocolAction) {
    struct Input: ProtocolInput {
        let bytes: [UInt8]
        func readAll(limit: Int) throws(ProtocolError) -> [UInt8] {
            guard bytes.count <= limit else { throw ProtocolError(.invalidInput, "too large") }
            return bytes
        }
    }
    struct Nothing: CredentialHelper {
        func get(_ serverURL: String) throws(ACRError) -> RegistryLogin {
            _ = try ServerAddress(parsing: serverURL)
            throw ACRError.notFound()
        }
        func store(serverURL: String, login: RegistryLogin) throws(ACRError) { _ = try ServerAddress(parsing: serverURL) }
        func erase(_ serverURL: String) throws(ACRError) -> Erased {
            _ = try ServerAddress(parsing: serverURL)
            return Erased(removed: 0)
        }
        func list() throws(ACRError) -> [String: String] { [:] }
    }
    var output = ""
    var diagnostics = ""
    let status = ProtocolEngine(helper: Nothing(), version: "fuzz").run(
        action, input: Input(bytes: bytes), output: &output, diagnostics: &diagnostics)
    if status != 0 {
        precondition(output.hasSuffix("\n") && output.filter { $0 == "\n" }.count == 1, "not one line: \(output)")
    }
}

func fuzzDates(_ text: String) {
    if let seconds = HTTPDate.parse(text) { precondition(seconds >= 0) }
    if let seconds = ISOTime.parse(text) { precondition(seconds >= 0) }
}
