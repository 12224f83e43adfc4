import Foundation

/// The ACR API stub (`scripts/acr-api-stub.py`) on 127.0.0.1: it checks every signature with the
/// official Alibaba Cloud Python SDK, answers like the real API, and logs what it was asked.
package final class ACRAPIStub: @unchecked Sendable {
    /// An AccessKey the stub knows.
    package struct Key: Sendable {
        package var id: String
        package var secret: String
        package var securityToken: String? = nil
        /// Makes the stub refuse this key: `USER_NOT_EXIST` or `Forbidden.RAM`.
        package var refuse: String? = nil

        package init(id: String, secret: String, securityToken: String? = nil, refuse: String? = nil) {
            self.id = id
            self.secret = secret
            self.securityToken = securityToken
            self.refuse = refuse
        }
    }

    /// An Enterprise or `crpi-` instance the stub serves.
    package struct Instance: Sendable {
        package var id: String
        package var name: String
        package var region = "cn-hangzhou"

        package init(id: String, name: String, region: String = "cn-hangzhou") {
            self.id = id
            self.name = name
            self.region = region
        }
    }

    /// One request the stub saw.
    package struct Request: Sendable, Decodable {
        package let method: String
        package let path: String
        package let action: String?
        package let version: String?
        package let query: [String: String]
        package let key: String?
        package let status: Int
        package let code: String?
        /// The fault served instead of an answer, if any.
        package let fault: String?
    }

    /// `http://127.0.0.1:PORT` (`https://` with ``Configuration/tls``), for
    /// DOCKER_CREDENTIAL_ACR_HELPER_CR_ENDPOINT.
    package let endpoint: String
    /// With TLS: the certificate authority that signed the stub's certificate, as a file (for
    /// `SSL_CERT_FILE`) and as a folder under its subject hash (for `SSL_CERT_DIR`).
    package let authorityFile: String?
    package let authorityFolder: String?
    private let directory: String
    private let pid: pid_t

    /// What the stub knows and how it behaves.
    package struct Configuration: Sendable {
        package var keys: [Key]
        package var instances: [Instance] = []
        package var tokenLifetime = 3600
        /// How far the stub's clock is ahead of this machine's, in seconds.
        package var clockSkew = 0
        /// The password to mint for an instance, instead of a new one each time.
        package var fixedTokens: [String: String] = [:]
        /// RAM roles: which keys may assume each, and its OIDC provider and token.
        package var roles: [String: Role] = [:]
        /// The ECS instance roles the metadata service serves.
        package var ecsRoles: [String] = []
        /// Whether `/credentials-uri` answers credentials.
        package var credentialsURI = false
        /// The life of the STS credentials it issues.
        package var stsLifetime = 3600
        /// Failures to serve, before any check, to the next requests of an action.
        package var faults: [Fault] = []
        /// HTTPS, with a certificate for 127.0.0.1 from a certificate authority made for the stub.
        package var tls = false
        /// The expiry every password is answered with (milliseconds, any JSON number), instead of
        /// the lifetime's.
        package var expiryMilliseconds: Double? = nil

        package init(
            keys: [Key], instances: [Instance] = [], tokenLifetime: Int = 3600, clockSkew: Int = 0,
            fixedTokens: [String: String] = [:]
        ) {
            self.keys = keys
            self.instances = instances
            self.tokenLifetime = tokenLifetime
            self.clockSkew = clockSkew
            self.fixedTokens = fixedTokens
        }
    }

    /// A failure the stub serves `times` times to requests of `action`: `throttle` (with
    /// `x-acs-retry-after: 1`), `503`, `html` (a 502 page), `truncated` JSON, `not_success` (a 200
    /// with `IsSuccess: false`), or `hang` (no answer for 30 s).
    package struct Fault: Sendable {
        package var action: String
        package var kind: String
        package var times: Int
        package init(_ kind: String, action: String = "GetAuthorizationToken", times: Int = 1) {
            self.kind = kind
            self.action = action
            self.times = times
        }
    }

    /// A RAM role the stub's STS serves.
    package struct Role: Sendable {
        package var trustedKeys: [String] = []
        package var oidcProvider: String? = nil
        package var oidcToken: String? = nil
        package init(trustedKeys: [String] = [], oidcProvider: String? = nil, oidcToken: String? = nil) {
            self.trustedKeys = trustedKeys
            self.oidcProvider = oidcProvider
            self.oidcToken = oidcToken
        }
    }

    package convenience init(keys: [Key], instances: [Instance] = [], fixedTokens: [String: String] = [:]) throws {
        try self.init(Configuration(keys: keys, instances: instances, fixedTokens: fixedTokens))
    }

    package init(_ configuration: Configuration) throws {
        directory = try makeTemporaryDirectory(prefix: "acr-api-stub")
        try Self.write(configuration, to: directory)
        if configuration.tls {
            try Self.makeCertificates(in: directory)
            authorityFile = directory + "/ca.pem"
            authorityFolder = directory + "/ca"
        } else {
            authorityFile = nil
            authorityFolder = nil
        }
        pid = try spawnServer(
            "/usr/bin/env", ["python3", PackagePaths.script("acr-api-stub.py"), directory],
            environment: baseEnvironment(), log: directory + "/stub.log")
        let portFile = directory + "/port"
        for _ in 0..<500 where !FileManager.default.fileExists(atPath: portFile) { usleep(10_000) }
        guard let port = try? String(contentsOfFile: portFile, encoding: .utf8) else {
            kill(pid, SIGTERM)
            let log = (try? String(contentsOfFile: directory + "/stub.log", encoding: .utf8)) ?? ""
            throw TestFailure("the ACR API stub did not start: \(log)")
        }
        endpoint = (configuration.tls ? "https" : "http") + "://127.0.0.1:\(port)"
    }

    /// A certificate authority (`ca.pem`, and `ca/` holding it under its subject hash) and the
    /// stub's certificate for 127.0.0.1 signed by it (`tls.pem`, `tls.key`), made with openssl.
    private static func makeCertificates(in directory: String) throws {
        func path(_ name: String) -> String { directory + "/" + name }
        try "subjectAltName=IP:127.0.0.1\n".write(toFile: path("san.cnf"), atomically: true, encoding: .utf8)
        let steps: [[String]] = [
            [
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=ACR API stub test CA",
                "-keyout", path("ca.key"), "-out", path("ca.pem"),
            ],
            [
                "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1", "-keyout", path("tls.key"),
                "-out", path("tls.csr"),
            ],
            [
                "x509", "-req", "-in", path("tls.csr"), "-CA", path("ca.pem"), "-CAkey", path("ca.key"),
                "-CAcreateserial", "-days", "2", "-extfile", path("san.cnf"), "-out", path("tls.pem"),
            ],
        ]
        for arguments in steps {
            try openssl(arguments)
        }
        try FileManager.default.createDirectory(atPath: path("ca"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: path("ca.pem"), toPath: path("ca/ca.pem"))
        try openssl(["rehash", path("ca")])
    }

    private static func openssl(_ arguments: [String]) throws {
        let result = try runProcess("/usr/bin/openssl", arguments, environment: baseEnvironment())
        guard result.status == 0 else { throw TestFailure("openssl \(arguments[0]): \(result.stderrText)") }
    }

    /// Changes what the stub knows; it re-reads its config on the next request.
    package func reconfigure(_ configuration: Configuration) throws {
        try Self.write(configuration, to: directory)
    }

    /// Changes what the stub knows; it re-reads its config on the next request.
    package func reconfigure(keys: [Key], instances: [Instance] = [], clockSkew: Int = 0) throws {
        try reconfigure(Configuration(keys: keys, instances: instances, clockSkew: clockSkew))
    }

    /// Every request so far, oldest first.
    package var requests: [Request] {
        let text = (try? String(contentsOfFile: directory + "/requests.log", encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap { try? JSONDecoder().decode(Request.self, from: Data($0.utf8)) }
    }

    deinit {
        kill(pid, SIGTERM)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        try? FileManager.default.removeItem(atPath: directory)
    }

    private static func write(_ configuration: Configuration, to directory: String) throws {
        var keyTable: [String: [String: String]] = [:]
        for key in configuration.keys {
            var entry = ["secret": key.secret]
            if let token = key.securityToken { entry["security_token"] = token }
            if let refuse = key.refuse { entry["refuse"] = refuse }
            keyTable[key.id] = entry
        }
        var document: [String: Any] = [
            "keys": keyTable,
            "instances": configuration.instances.map {
                ["InstanceId": $0.id, "InstanceName": $0.name, "RegionId": $0.region]
            },
            "token_lifetime_seconds": configuration.tokenLifetime, "clock_skew_seconds": configuration.clockSkew,
            "fixed_tokens": configuration.fixedTokens,
            "roles": configuration.roles.mapValues { role -> [String: Any] in
                var entry: [String: Any] = ["trusted_keys": role.trustedKeys]
                if let provider = role.oidcProvider { entry["oidc_provider"] = provider }
                if let token = role.oidcToken { entry["oidc_token"] = token }
                return entry
            },
            "ecs_roles": configuration.ecsRoles, "credentials_uri": configuration.credentialsURI,
            "sts_lifetime_seconds": configuration.stsLifetime,
            "faults": configuration.faults.map { ["action": $0.action, "kind": $0.kind, "times": $0.times] },
        ]
        if let expiry = configuration.expiryMilliseconds { document["expiry_milliseconds"] = expiry }
        let data = try JSONSerialization.data(withJSONObject: document)
        // Written whole, then renamed: the stub never reads half a file.
        let temporary = directory + "/config.json.tmp"
        try data.write(to: URL(fileURLWithPath: temporary))
        _ = rename(temporary, directory + "/config.json")
    }
}
