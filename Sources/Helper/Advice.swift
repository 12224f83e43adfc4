import ACR

// The executable's words for what the user can do next: the library's errors and notices name
// the cause, and these name the commands of this program that fix it.

extension ACRError {
    /// The hints for stderr: the library's own, then the commands its advice calls for.
    var hints: String? {
        let lines = [hint, advice.map(Self.words)].compactMap { $0 }
        return lines.isEmpty ? nil : lines.joined(separator: "\n")
    }

    private static func words(_ advice: Advice) -> String {
        switch advice {
        case .storeKey(let server, let host):
            """
            hint: \(server) is an ACR registry, but no AccessKey is stored for it. Store one in the keyring:
            hint:   docker-credential-acr-helper add-key --server \(host)    (or, for every ACR registry: add-key)
            hint:   docker-credential-acr-helper import-keys    (from ~/.alibabacloud/credentials or ~/.aliyun/config.json)
            """
        case .replaceKey:
            """
            hint: store the key with: docker-credential-acr-helper add-key    (--server HOST for one registry only)
            """
        }
    }
}

/// What to say when `get` used an AccessKey from a plaintext file.
func plaintextKeyWarning(path: String, profile: String) -> String {
    "warning: using the AccessKey of profile \(profile) in the plaintext file \(path); move it into the keyring: "
        + "docker-credential-acr-helper import-keys --delete-source\n"
}

/// What `import-keys --delete-source` leaves in a file where it took a secret out.
let movedSecretNote = "moved to the keyring by docker-credential-acr-helper import-keys"
