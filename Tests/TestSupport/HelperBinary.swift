import Foundation

/// The built helper executable, run as docker runs it: one action, the request on stdin.
package struct HelperBinary: Sendable {
    /// Exactly the environment the helper gets.
    package var environment: [String: String]
    /// The keyring it uses, kept running as long as this value lives.
    package let keyring: PrivateKeyring?

    /// A helper using `keyring`, with a fresh HOME of its own.
    package init(keyring: PrivateKeyring) throws {
        self.keyring = keyring
        environment = baseEnvironment().merging(keyring.environment) { $1 }
        environment["HOME"] = try makeTemporaryDirectory(prefix: "helper-home")
    }

    /// A helper with exactly `environment` (plus PATH).
    package init(environment: [String: String]) {
        keyring = nil
        self.environment = baseEnvironment().merging(environment) { $1 }
    }

    /// Runs `docker-credential-acr-helper <action>` with `input` on stdin.
    package func run(_ action: String, _ input: String = "") throws -> ProcessResult {
        try run(action, bytes: Data(input.utf8))
    }

    /// Runs `docker-credential-acr-helper <action>` with raw bytes on stdin.
    package func run(_ action: String, bytes: Data) throws -> ProcessResult {
        try runProcess(PackagePaths.helper, [action], input: bytes, environment: environment)
    }

    /// A `store` request as docker writes it.
    package static func storeRequest(_ serverURL: String, _ username: String, _ secret: String) -> String {
        #"{"ServerURL":"\#(serverURL)","Username":"\#(username)","Secret":"\#(secret)"}"#
    }

    /// What `secret-tool`, an independent libsecret client, finds of ours in the same keyring: each
    /// item as `label`, `secret` and `attribute.NAME` entries, sorted by label.
    ///
    /// secret-tool reads through an encrypted session, and KWallet 5 derives a wrong key in about
    /// one Diffie-Hellman exchange in a hundred, so that a read shows garbage for what is stored
    /// right (seen: one import test in a KWallet run). The answer is what two reads in a row agree
    /// on, each in a session of its own.
    package func independentlyStoredItems() throws -> [[String: String]] {
        var previous = try secretToolItems()
        for _ in 0..<4 {
            let next = try secretToolItems()
            if next == previous { return next }
            previous = next
        }
        return previous
    }

    private func secretToolItems() throws -> [[String: String]] {
        // secret-tool writes attributes to stderr and the rest to stdout: merged, they stay in order.
        let result = try runProcess(
            "/bin/sh", ["-c", "exec secret-tool search --all xdg:schema docker-credential-acr-helper.v1 2>&1"],
            environment: environment)
        var items: [[String: String]] = []
        for line in result.stdoutText.split(separator: "\n") {
            if line.hasPrefix("[") {
                items.append([:])
            } else if let range = line.range(of: " = "), !items.isEmpty {
                items[items.count - 1][String(line[..<range.lowerBound])] = String(line[range.upperBound...])
            }
        }
        // The Secret Service returns items in no set order; these come sorted, to compare.
        return items.sorted { ($0["label"] ?? "", $0["secret"] ?? "") < ($1["label"] ?? "", $1["secret"] ?? "") }
    }
}

extension HelperBinary {
    /// Writes an item of this helper's schema with python3-secretstorage, another Secret Service
    /// client, as a later version or another tool might have written it.
    package func writeItemIndependently(label: String, attributes: [String: String], secret: String) throws {
        var all = attributes
        all["xdg:schema"] = "docker-credential-acr-helper.v1"
        let arguments = try String(
            decoding: JSONSerialization.data(withJSONObject: [label, all, secret]), as: UTF8.self)
        let script = """
            import json, sys, secretstorage
            label, attributes, secret = json.loads(sys.argv[1])
            collection = secretstorage.get_default_collection(secretstorage.dbus_init())
            collection.create_item(label, attributes, secret.encode(), replace=True)
            """
        let result = try runProcess("/usr/bin/python3", ["-c", script, arguments], environment: environment)
        guard result.status == 0 else { throw TestFailure("secretstorage could not write: \(result.stderrText)") }
    }
}
