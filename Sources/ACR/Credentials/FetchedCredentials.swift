import FoundationEssentials

/// STS credentials fetched over plain HTTP from the machine itself: the ECS instance metadata
/// service and a credentials URI (docs/alibaba-cloud.md#sts-and-other-credential-services).
struct FetchedCredentials: Sendable {
    let transport: any HTTPTransport
    /// `http://100.100.100.200`, or the override.
    let metadataEndpoint: String
    /// `ALIBABA_CLOUD_IMDSV1_DISABLED=true`: require the IMDSv2 token.
    let requireIMDSv2: Bool

    static let metadataTimeout = Duration.seconds(1)

    /// The instance role's credentials: an IMDSv2 token first (falling back to v1 unless that is
    /// disabled), then the role's document. 1-second bounds, less when `deadline` is nearer,
    /// never through a proxy.
    func ecsRole(_ name: String, deadline: ContinuousClock.Instant) throws(ACRError) -> STSCredentials {
        let describe = "get the credentials of the ECS instance role \(name)"
        func bound() throws(ACRError) -> Duration {
            min(Self.metadataTimeout, try timeLeft(before: deadline, toDo: describe))
        }
        var headers: [String: String] = [:]
        let first = try bound()
        let tokenRequest = HTTPRequest(
            method: "PUT", url: metadataEndpoint + "/latest/api/token",
            headers: ["X-aliyun-ecs-metadata-token-ttl-seconds": "21600"],
            connectTimeout: first, timeout: first, noProxy: true)
        if let response = try? transport.send(tokenRequest), response.status == 200 {
            headers["X-aliyun-ecs-metadata-token"] = String(decoding: response.body, as: UTF8.self).trimmingWhitespace()
        } else if requireIMDSv2 {
            throw ACRError(
                .network, "cannot \(describe): no IMDSv2 token from \(metadataEndpoint) (ALIBABA_CLOUD_IMDSV1_DISABLED)"
            )
        }
        let second = try bound()
        let request = HTTPRequest(
            method: "GET", url: metadataEndpoint + "/latest/meta-data/ram/security-credentials/" + name,
            headers: headers, connectTimeout: second, timeout: second, noProxy: true)
        return try document(request, describe: describe)
    }

    /// The credentials a credentials URI answers.
    func fromURI(_ uri: String, timeout: Duration) throws(ACRError) -> STSCredentials {
        try document(
            HTTPRequest(method: "GET", url: uri, connectTimeout: timeout, timeout: timeout),
            describe: "get credentials from ALIBABA_CLOUD_CREDENTIALS_URI")
    }

    /// `{"Code":"Success","AccessKeyId","AccessKeySecret","SecurityToken","Expiration"}`.
    private func document(_ request: HTTPRequest, describe: String) throws(ACRError) -> STSCredentials {
        let response: HTTPResponse
        do {
            response = try transport.send(request)
        } catch {
            throw ACRError(.network, "cannot \(describe): \(error.message)")
        }
        struct Document: Decodable {
            let code: String?
            let accessKeyID: String
            let accessKeySecret: String
            let securityToken: String?
            let expiration: String
            enum CodingKeys: String, CodingKey {
                case code = "Code", accessKeyID = "AccessKeyId", accessKeySecret = "AccessKeySecret"
                case securityToken = "SecurityToken", expiration = "Expiration"
            }
        }
        guard response.status == 200,
            let document = try? JSONDecoder().decode(Document.self, from: Data(response.body)),
            document.code == nil || document.code == "Success", let expiry = ISOTime.parse(document.expiration)
        else {
            throw ACRError(.api, "cannot \(describe): HTTP \(response.status) without usable credentials")
        }
        return STSCredentials(
            key: AccessKey(
                id: document.accessKeyID, secret: document.accessKeySecret, securityToken: document.securityToken),
            expiresAt: expiry)
    }
}
