import Foundation
import TestSupport
import Testing

/// The kubelet's credential provider protocol, fed real request documents, on a node without a
/// keyring: the ECS instance role (served by the stub's metadata service) mints the password.
@Suite struct KubeletTests {
    static let apiVersion = "credentialprovider.kubelet.k8s.io/v1"
    let stub: ACRAPIStub
    let environment: [String: String]

    init() throws {
        var configuration = ACRAPIStub.Configuration(
            keys: [], instances: [ACRAPIStub.Instance(id: "cri-node0001", name: "node")], tokenLifetime: 3600)
        configuration.ecsRoles = ["node-role"]
        stub = try ACRAPIStub(configuration)
        let home = try makeTemporaryDirectory(prefix: "node-home")
        // A node: no session bus, no keyring; the instance role named.
        environment = baseEnvironment().merging([
            "HOME": home, "XDG_RUNTIME_DIR": home, "ALIBABA_CLOUD_ECS_METADATA": "node-role",
            "DOCKER_CREDENTIAL_ACR_HELPER_CR_ENDPOINT": stub.endpoint,
            "DOCKER_CREDENTIAL_ACR_HELPER_ECS_METADATA_ENDPOINT": stub.endpoint,
        ]) { $1 }
    }

    func provide(_ image: String) throws -> ProcessResult {
        let request = #"{"apiVersion":"\#(Self.apiVersion)","kind":"CredentialProviderRequest","image":"\#(image)"}"#
        return try runProcess(
            PackagePaths.helper, ["kubelet-credential-provider"], input: Data(request.utf8), environment: environment)
    }

    func document(_ result: ProcessResult) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: result.stdout) as? [String: Any])
    }

    @Test func anACRImageGetsAPasswordKeyedByItsRegistryWithACacheDuration() throws {
        let result = try provide("node-registry-vpc.cn-hangzhou.cr.aliyuncs.com/team/app:1.2@sha256:0123")
        #expect(result.status == 0, "out: \(result.stdoutText) err: \(result.stderrText)")
        let response = try document(result)
        #expect(response["kind"] as? String == "CredentialProviderResponse")
        #expect(response["apiVersion"] as? String == Self.apiVersion)
        #expect(response["cacheKeyType"] as? String == "Registry")
        // An hour's password, refreshed 6 minutes early: 54 minutes, give or take the test's seconds.
        let duration = try #require(response["cacheDuration"] as? String)
        #expect(duration.hasPrefix("53m") || duration.hasPrefix("54m"), "\(duration)")
        let auth = try #require(response["auth"] as? [String: [String: String]])
        #expect(Array(auth.keys) == ["node-registry-vpc.cn-hangzhou.cr.aliyuncs.com"])
        #expect(auth.values.first?["username"] == "cr_temp_user")
        #expect(auth.values.first?["password"]?.hasPrefix("token-cri-node0001-STS.") == true)
        #expect(
            stub.requests.map(\.action) == ["IMDSToken", "IMDSCredentials", "ListInstance", "GetAuthorizationToken"])
    }

    @Test(arguments: ["nginx:latest", "library/nginx", "docker.io/library/nginx:1", "quay.io/org/tool@sha256:ab"])
    func anImageOfAnotherRegistryGetsAnEmptyAuth(_ image: String) throws {
        let result = try provide(image)
        #expect(result.status == 0)
        #expect(
            result.stdoutText == #"{"apiVersion":"\#(Self.apiVersion)","auth":{},"kind":"CredentialProviderResponse"}"#
                + "\n")
        #expect(stub.requests.isEmpty)
    }

    @Test func withoutAnySourceTheAnswerIsEmptyNotAnError() throws {
        var bare = environment
        bare["ALIBABA_CLOUD_ECS_METADATA"] = nil
        let request =
            #"{"apiVersion":"\#(Self.apiVersion)","kind":"CredentialProviderRequest","image":"registry.cn-hangzhou.aliyuncs.com/ns/app"}"#
        let result = try runProcess(
            PackagePaths.helper, ["kubelet-credential-provider"], input: Data(request.utf8), environment: bare)
        #expect(result.status == 0)
        #expect(try document(result)["auth"] as? [String: Any] != nil)
        #expect((try document(result)["auth"] as? [String: Any])?.isEmpty == true)
    }

    @Test func aRequestItCannotReadFails() throws {
        for input in [
            "", "not json",
            #"{"apiVersion":"credentialprovider.kubelet.k8s.io/v1alpha1","kind":"CredentialProviderRequest","image":"x/y"}"#,
        ] {
            let result = try runProcess(
                PackagePaths.helper, ["kubelet-credential-provider"], input: Data(input.utf8), environment: environment)
            #expect(result.status == 1, "\(input)")
            #expect(result.stdoutText.isEmpty)
        }
    }
}
