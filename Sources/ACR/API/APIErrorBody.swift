import FoundationEssentials

/// The error fields Alibaba Cloud APIs answer with: `Code`, `Message`, `RequestId` from the API
/// gateway and the 2018 API, `code`, `message`, `requestId` from the 2016 one.
struct APIErrorBody: Decodable, Sendable {
    var code: String?
    var message: String?
    var requestID: String?
    var isSuccess: Bool?
    /// The RAM action a permission error names, where the gateway says it.
    var authAction: String?

    private enum Keys: String, CodingKey {
        case gatewayCode = "Code", code, gatewayMessage = "Message", message, gatewayRequestID = "RequestId"
        case requestID = "requestId", isSuccess = "IsSuccess", accessDeniedDetail = "AccessDeniedDetail"
    }
    private enum DetailKeys: String, CodingKey { case authAction = "AuthAction" }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Keys.self)
        func text(_ keys: Keys...) -> String? {
            for key in keys { if let value = try? container.decodeIfPresent(String.self, forKey: key) { return value } }
            return nil
        }
        code = text(.gatewayCode, .code)
        message = text(.gatewayMessage, .message)
        requestID = text(.gatewayRequestID, .requestID)
        isSuccess = try? container.decodeIfPresent(Bool.self, forKey: .isSuccess)
        authAction = (try? container.nestedContainer(keyedBy: DetailKeys.self, forKey: .accessDeniedDetail))
            .flatMap { try? $0.decodeIfPresent(String.self, forKey: .authAction) }
    }

    /// The fields of a JSON body, or `nil` when it is not a JSON object.
    static func parse(_ body: [UInt8]) -> APIErrorBody? {
        try? JSONDecoder().decode(APIErrorBody.self, from: Data(body))
    }

    var isThrottling: Bool { code?.hasPrefix("Throttling") == true }

    /// The error for a response that is not a success: the service's code and message, named
    /// for what was being done, with the fix where the code tells it.
    static func error(
        from response: HTTPResponse, describe: String, endpoint: APIEndpoint, keyID: String = "",
        action: String = ""
    ) -> ACRError {
        guard let body = parse(response.body), let code = body.code, !code.isEmpty else {
            let kind = looksLikeHTML(response.body) ? "an HTML page" : "a body that is not Alibaba Cloud's JSON"
            return ACRError(
                .api, "cannot \(describe): \(endpoint) answered HTTP \(response.status) with \(kind)")
        }
        return body.error(status: response.status, describe: describe, keyID: keyID, action: action)
    }

    /// The message and fix for this body's code.
    func error(status: Int, describe: String, keyID: String, action: String) -> ACRError {
        let code = self.code ?? "unknown"
        let key = keyID.isEmpty ? "the AccessKey" : "AccessKey \(AccessKey.mask(keyID))"
        let fix: String
        var advice: ACRError.Advice? = nil
        switch code {
        case "InvalidAccessKeyId.NotFound", "InvalidAccessKeyId.Inactive", "InvalidAccessKeyId":
            fix = "\(key) is unknown to Alibaba Cloud or disabled: create a new one in the RAM console and store it"
            advice = .replaceKey
        case "SignatureDoesNotMatch", "IncompleteSignature", "InvalidAccessKeySecret":
            fix = "the secret stored for \(key) is wrong: store the right one"
            advice = .replaceKey
        case "InvalidTimeStamp.Expired", "IllegalTimestamp", "InvalidTimeStamp.Format":
            fix = "this computer's clock is more than 15 minutes off: set it right (timedatectl set-ntp true)"
        case "SignatureNonceUsed":
            fix = "the request was replayed: try again"
        case "USER_NOT_EXIST":
            fix =
                "this Alibaba Cloud account (or RAM user) has not set up Personal Edition: set a registry "
                + "password once in the Container Registry console (Personal Edition, Access Credential)"
        case "Forbidden.RAM", "NoPermission", "Forbidden", "NoPrivilege", "Forbidden.NoPermission":
            let needed = authAction ?? action
            fix =
                "\(key) lacks the RAM permission \(needed.isEmpty ? "for this call" : needed): grant it in the "
                + "RAM console"
                + (needed == "cr:ListInstance"
                    ? ", or pin the instance ID in config.json so that ListInstance is not needed" : "")
        case "INSTANCE_NOT_EXIST":
            fix = "the instance does not exist in that region: check the instance ID and region"
        case "MissingSecurityToken", "InvalidSecurityToken.Expired", "InvalidSecurityToken.MismatchWithAccessKey",
            "InvalidSecurityToken.Malformed":
            fix = "the STS security token is missing, expired or not of this AccessKey: get a fresh one"
        default:
            if code.hasPrefix("Throttling") {
                fix = "Alibaba Cloud throttled the requests: try again in a moment"
            } else {
                fix = "see the message"
            }
        }
        var text = "cannot \(describe): \(code) (HTTP \(status)): \(fix)"
        if let message = shortMessage, !message.isEmpty { text += "; Alibaba Cloud says: \(message)" }
        if let requestID, !requestID.isEmpty { text += " (request ID \(requestID))" }
        var error = ACRError(.api, text, serviceCode: code)
        error.advice = advice
        return error
    }

    /// The service's message on one line, without the string to sign that `SignatureDoesNotMatch`
    /// carries (not a secret, but nothing a user can act on).
    private var shortMessage: String? {
        guard var message else { return nil }
        if let cut = message.firstRange(of: " server string to sign is") {
            message = String(message[..<cut.lowerBound])
        }
        message = message.split(whereSeparator: \.isNewline).joined(separator: " ")
        return String(message.prefix(300)).trimmingWhitespace()
    }

    private static func looksLikeHTML(_ body: [UInt8]) -> Bool {
        let start = String(decoding: body.prefix(256), as: UTF8.self).trimmingWhitespace().lowercased()
        return start.hasPrefix("<!doctype html") || start.hasPrefix("<html")
    }
}
