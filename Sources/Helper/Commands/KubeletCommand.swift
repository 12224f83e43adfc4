import ACR
import ArgumentParser
import FoundationEssentials
import Glibc

/// `kubelet-credential-provider`: the kubelet's image credential provider protocol
/// (`credentialprovider.kubelet.k8s.io/v1`), for cluster nodes: a `CredentialProviderRequest` with
/// the image on stdin, a `CredentialProviderResponse` with credentials for its registry on stdout.
struct KubeletCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kubelet-credential-provider",
        abstract: "Answer the kubelet's image credential provider requests (credentialprovider.kubelet.k8s.io/v1).",
        discussion: """
            Named in the kubelet's --image-credential-provider-config (docs/kubelet-credential-provider.yaml). \
            Nodes have no keyring: the ECS instance role (ALIBABA_CLOUD_ECS_METADATA), RRSA OIDC or the \
            environment serve there. An image of another registry gets an empty auth, not an error.

            Example: echo '{"apiVersion":"credentialprovider.kubelet.k8s.io/v1","kind":"CredentialProviderRequest","image":"registry.cn-hangzhou.aliyuncs.com/ns/app:1"}' | docker-credential-acr-helper kubelet-credential-provider
            """)

    static let apiVersion = "credentialprovider.kubelet.k8s.io/v1"

    func run() throws {
        let input = try StandardInput(
            command: Self.configuration.commandName ?? "kubelet-credential-provider", timeout: .seconds(30)
        ).readAll(limit: ProtocolEngine.inputLimit)
        let request: KubeletRequest
        do {
            request = try JSONDecoder().decode(KubeletRequest.self, from: Data(input))
        } catch {
            throw AdminFailure(
                "not a CredentialProviderRequest: expected {\"apiVersion\":\"\(Self.apiVersion)\",\"kind\":\"CredentialProviderRequest\",\"image\":\"…\"}"
            )
        }
        guard request.apiVersion == Self.apiVersion, request.kind == "CredentialProviderRequest" else {
            throw AdminFailure(
                "only \(Self.apiVersion) CredentialProviderRequest is understood, not \(request.apiVersion) \(request.kind)"
            )
        }
        let response = try HelperContext.run { context throws(ACRError) in
            try Self.answer(image: request.image, helper: context.credentialHelper, now: Int(time(nil)))
        }
        print(response)
    }

    /// The response document for `image`.
    static func answer(image: String, helper: ACRCredentialHelper, now: Int) throws(ACRError) -> String {
        var response = KubeletResponse(apiVersion: apiVersion)
        if let host = registryHost(of: image) {
            do {
                let resolved = try helper.credentials(for: host)
                response.cacheKeyType = "Registry"
                response.auth = [host: .init(username: resolved.login.username, password: resolved.login.secret)]
                if let token = resolved.token {
                    response.cacheDuration = goDuration(max(0, token.expiresAt - now - token.margin))
                }
            } catch  where error.code == .notFound || error.keyringCause == .noSessionBus {
                // Nodes have no session bus: with no other source, nothing is known for the image.
            }
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding strings and optionals cannot fail.
        return String(decoding: try! encoder.encode(response), as: UTF8.self)
    }

    /// The registry host of an image reference, or `nil` for Docker Hub's short names.
    static func registryHost(of image: String) -> String? {
        guard let slash = image.firstIndex(of: "/") else { return nil }
        let first = image[..<slash]
        guard first.contains(".") || first.contains(":") || first == "localhost" else { return nil }
        return String(first).lowercased()
    }

    /// Seconds as Go writes a `time.Duration`: `1h2m3s`, `4m5s`, `6s`.
    static func goDuration(_ seconds: Int) -> String {
        let hours = seconds / 3600
        let minutes = seconds % 3600 / 60
        let rest = seconds % 60
        if hours > 0 { return "\(hours)h\(minutes)m\(rest)s" }
        if minutes > 0 { return "\(minutes)m\(rest)s" }
        return "\(rest)s"
    }
}

/// `CredentialProviderResponse` (credentialprovider.kubelet.k8s.io/v1): an empty `auth` for an
/// image of no known registry.
private struct KubeletResponse: Encodable {
    struct Auth: Encodable {
        let username: String
        let password: String
    }
    let kind = "CredentialProviderResponse"
    let apiVersion: String
    var cacheKeyType: String?
    var cacheDuration: String?
    var auth: [String: Auth] = [:]
}

/// `CredentialProviderRequest` (credentialprovider.kubelet.k8s.io/v1).
private struct KubeletRequest: Decodable {
    let apiVersion: String
    let kind: String
    let image: String
}
