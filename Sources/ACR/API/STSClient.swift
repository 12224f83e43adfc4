import FoundationEssentials
import Glibc

/// STS credentials: a temporary AccessKey with its security token and expiry.
package struct STSCredentials: Sendable, Equatable {
    package var key: AccessKey
    /// Unix seconds (the service's clock, which is what expiry is checked against).
    package var expiresAt: Int
}

/// STS 2015-04-01 (docs/alibaba-cloud.md#sts-and-other-credential-services): `AssumeRole` signed
/// with a key, and the anonymous `AssumeRoleWithOIDC`.
struct STSClient: Sendable {
    let api: APIClient
    let endpoint: APIEndpoint

    /// The STS endpoint: the override, else `sts[-vpc].{ALIBABA_CLOUD_STS_REGION}.aliyuncs.com`,
    /// else `sts.aliyuncs.com`.
    static func endpoint(settings: Settings) -> APIEndpoint {
        if let override = settings.stsEndpoint { return override }
        let host =
            settings.stsRegion.map { "\(settings.stsVPC ? "sts-vpc" : "sts").\($0).aliyuncs.com" } ?? "sts.aliyuncs.com"
        return APIEndpoint(baseURL: "https://" + host, host: host, isVPC: false)
    }

    /// Assumes `role` with `key` for an hour.
    func assumeRole(_ role: RAMRole, with key: AccessKey, deadline: ContinuousClock.Instant) throws(ACRError)
        -> STSCredentials
    {
        var query = [
            "RoleArn": role.arn, "RoleSessionName": role.sessionName ?? Self.defaultSessionName,
            "DurationSeconds": "3600",
        ]
        if let external = role.externalID { query["ExternalId"] = external }
        if let policy = role.policy { query["Policy"] = policy }
        let call = APICall(action: "AssumeRole", version: "2015-04-01", method: "POST", path: "/", query: query)
        let describe = "assume the RAM role \(role.arn) with \(key.maskedID)"
        let reply = try api.send(call, to: [endpoint], key: key.signingKey, deadline: deadline, describe: describe)
        return try credentials(reply, describe: describe, keyID: key.id, permission: "sts:AssumeRole")
    }

    /// Trades the OIDC token for the role's credentials. The token goes in the form body, only ever
    /// to Alibaba Cloud (`*.aliyuncs.com`) or a loopback test endpoint.
    func assumeRole(with oidc: OIDCRole, deadline: ContinuousClock.Instant) throws(ACRError) -> STSCredentials {
        let host = endpoint.host.split(separator: ":").first.map(String.init) ?? endpoint.host
        guard host.hasSuffix(".aliyuncs.com") || APIEndpoint.isLoopback(host) else {
            throw ACRError(
                .invalidSetting, "the OIDC token is only sent to *.aliyuncs.com, not to \(endpoint.host)")
        }
        guard let bytes = try UserFiles.read(oidc.tokenFile, limit: 64 * 1024) else {
            throw ACRError(.invalidSetting, "ALIBABA_CLOUD_OIDC_TOKEN_FILE \(oidc.tokenFile) does not exist")
        }
        let token = String(decoding: bytes, as: UTF8.self).trimmingWhitespace()
        let form = [
            "Action": "AssumeRoleWithOIDC", "Version": "2015-04-01", "Format": "JSON",
            "Timestamp": APIClient.timestamp(api.now()), "SignatureNonce": api.nonce(),
            "OIDCProviderArn": oidc.providerARN, "RoleArn": oidc.roleARN, "OIDCToken": token,
            "RoleSessionName": oidc.sessionName, "DurationSeconds": "3600",
        ]
        let call = APICall(
            action: "AssumeRoleWithOIDC", version: "2015-04-01", method: "POST", path: "/", form: form)
        let describe = "assume the RAM role \(oidc.roleARN) with the OIDC token"
        let reply = try api.send(call, to: [endpoint], key: nil, deadline: deadline, describe: describe)
        return try credentials(reply, describe: describe, keyID: "", permission: "sts:AssumeRoleWithOIDC")
    }

    /// `docker-credential-acr-helper-$USER`-like, but from the uid: the environment is not read here.
    static var defaultSessionName: String {
        guard let entry = getpwuid(getuid()), let name = entry.pointee.pw_name else {
            return "docker-credential-acr-helper"
        }
        let user = String(cString: name).filter { $0.isASCII && ($0.isLetter || $0.isNumber || ".@_-".contains($0)) }
        return String("docker-credential-acr-helper-\(user)".prefix(64))
    }

    private func credentials(_ reply: APIReply, describe: String, keyID: String, permission: String)
        throws(ACRError) -> STSCredentials
    {
        guard reply.response.status == 200 else {
            throw APIErrorBody.error(
                from: reply.response, describe: describe, endpoint: reply.endpoint, keyID: keyID, action: permission)
        }
        struct Body: Decodable {
            struct Credentials: Decodable {
                let accessKeyID: String
                let accessKeySecret: String
                let securityToken: String
                let expiration: String
                enum CodingKeys: String, CodingKey {
                    case accessKeyID = "AccessKeyId", accessKeySecret = "AccessKeySecret"
                    case securityToken = "SecurityToken", expiration = "Expiration"
                }
            }
            let credentials: Credentials
            enum CodingKeys: String, CodingKey { case credentials = "Credentials" }
        }
        guard let body = try? JSONDecoder().decode(Body.self, from: Data(reply.response.body)),
            let expiry = ISOTime.parse(body.credentials.expiration)
        else {
            throw ACRError(.api, "cannot \(describe): \(reply.endpoint) answered without usable Credentials")
        }
        let key = AccessKey(
            id: body.credentials.accessKeyID, secret: body.credentials.accessKeySecret,
            securityToken: body.credentials.securityToken)
        return STSCredentials(key: key, expiresAt: expiry)
    }
}

/// `yyyy-MM-ddTHH:mm:ssZ`, as STS and the metadata service write times.
enum ISOTime {
    static func parse(_ text: String) -> Int? {
        let digits = text.utf8.map { $0 }
        guard digits.count == 20, text.hasSuffix("Z") else { return nil }
        func number(_ range: Range<Int>) -> Int32? { Int32(String(decoding: digits[range], as: UTF8.self)) }
        guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
            let hour = number(11..<13), let minute = number(14..<16), let second = number(17..<19),
            digits[4] == UInt8(ascii: "-"), digits[7] == UInt8(ascii: "-"), digits[10] == UInt8(ascii: "T")
        else { return nil }
        var fields = tm()
        fields.tm_year = year - 1900
        fields.tm_mon = month - 1
        fields.tm_mday = day
        fields.tm_hour = hour
        fields.tm_min = minute
        fields.tm_sec = second
        return Int(timegm(&fields))
    }
}
