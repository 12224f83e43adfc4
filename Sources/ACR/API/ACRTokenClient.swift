import FoundationEssentials
import Logging

/// A temporary registry password minted by ACR.
package struct RegistryToken: Sendable, Equatable {
    /// The temporary username the service returned (never invented).
    package var username: String
    package var password: String
    /// When it expires, in Unix seconds of the service's clock.
    package var expiresAt: Int
    /// The service's `Date` header, when it sent one: to convert `expiresAt` to this machine's clock.
    package var serverDate: String?
    /// The API endpoint that minted it.
    package var endpoint: String
}

/// ACR's GetAuthorizationToken calls (docs/alibaba-cloud.md#the-acr-calls): Personal Edition's cr 2016-06-07
/// `GET /tokens`, and cr 2018-12-01 `ListInstance` + `GetAuthorizationToken(InstanceId)`.
package struct ACRTokenClient: Sendable {
    private let api: APIClient
    private let endpointOverride: APIEndpoint?
    private let tokenHours: Int?
    private let deadline: Duration
    private let processDeadline: ContinuousClock.Instant?
    private let memory: InstanceMemory?
    private let sts: STSClient
    private let fetched: FetchedCredentials

    /// - Parameters:
    ///   - transport: HTTP (libcurl in the helper).
    ///   - settings: time-outs, deadline, endpoint override, token life.
    ///   - memory: where Enterprise instance IDs are remembered, or `nil` not to.
    ///   - logger: where to log; never given a secret.
    package init(transport: any HTTPTransport, settings: Settings, memory: InstanceMemory?, logger: Logger) {
        self.init(
            api: APIClient(transport: transport, timeout: settings.timeout, logger: logger), settings: settings,
            memory: memory)
    }

    init(api: APIClient, settings: Settings, memory: InstanceMemory? = nil) {
        self.api = api
        endpointOverride = settings.crEndpoint
        tokenHours = settings.tokenHours
        deadline = settings.deadline
        processDeadline = settings.processDeadline
        self.memory = memory
        sts = STSClient(api: api, endpoint: STSClient.endpoint(settings: settings))
        fetched = FetchedCredentials(
            transport: api.transport, metadataEndpoint: settings.ecsMetadataEndpoint,
            requireIMDSv2: settings.requireIMDSv2)
    }

    /// Mints a temporary password for `registry` with `material`: an AccessKey as it is, or STS
    /// credentials got first (assuming a role, trading an OIDC token, asking the instance metadata
    /// service or a credentials URI). The password never outlives the STS credentials.
    /// - Throws: ``ACRError`` naming the step that failed and the fix.
    package func token(for registry: ACRRegistry, server: ServerAddress, material: KeyMaterial) throws(ACRError)
        -> RegistryToken
    {
        let deadline = processDeadline ?? ContinuousClock.now + self.deadline
        let session: STSCredentials
        switch material {
        case .accessKey(let key):
            guard let role = key.role else {
                return try token(for: registry, server: server, key: key, deadline: deadline)
            }
            session = try sts.assumeRole(role, with: key, deadline: deadline)
        case .oidc(let oidc):
            session = try sts.assumeRole(with: oidc, deadline: deadline)
        case .ecsRole(let name):
            session = try fetched.ecsRole(name, deadline: deadline)
        case .credentialsURI(let uri):
            let remaining = try timeLeft(
                before: deadline, toDo: "get credentials from ALIBABA_CLOUD_CREDENTIALS_URI")
            session = try fetched.fromURI(uri, timeout: min(api.timeout, remaining))
        }
        var token = try self.token(for: registry, server: server, key: session.key, deadline: deadline)
        token.expiresAt = min(token.expiresAt, session.expiresAt)
        return token
    }

    /// The endpoints a token for `registry` may be minted through, in the order they are tried.
    package func endpoints(for registry: ACRRegistry) -> [APIEndpoint] {
        APIEndpoint.crEndpoints(for: registry, override: endpointOverride)
    }

    /// Mints a temporary password for `registry` with `key`.
    /// - Parameter server: the registry host, to name it in errors.
    /// - Throws: ``ACRError`` `.api` or `.network`, naming the host and the fix.
    package func token(for registry: ACRRegistry, server: ServerAddress, key: AccessKey) throws(ACRError)
        -> RegistryToken
    {
        try token(for: registry, server: server, key: key, deadline: processDeadline ?? ContinuousClock.now + deadline)
    }

    /// Mints with `key`, every request within `deadline`: the one of the whole mint, STS included.
    private func token(
        for registry: ACRRegistry, server: ServerAddress, key: AccessKey, deadline: ContinuousClock.Instant
    ) throws(ACRError) -> RegistryToken {
        let endpoints = endpoints(for: registry)
        let signing = key.signingKey
        switch registry.edition {
        case .personal:
            return try personalToken(
                server: server, key: key, signing: signing, endpoints: endpoints, deadline: deadline)
        case .enterprise(let name):
            if let remembered = memory?.instanceID(named: name, region: registry.region) {
                do {
                    return try instanceToken(
                        remembered, server: server, key: key, endpoints: endpoints, deadline: deadline)
                } catch  where error.serviceCode == "INSTANCE_NOT_EXIST" {
                    // Deleted and made again under the same name: look it up afresh.
                    memory?.remember(nil, named: name, region: registry.region)
                }
            }
            let id = try findInstance(
                named: name, region: registry.region, server: server, key: key, endpoints: endpoints, deadline: deadline
            )
            memory?.remember(id, named: name, region: registry.region)
            return try instanceToken(id, server: server, key: key, endpoints: endpoints, deadline: deadline)
        case .instance(let id):
            return try instanceToken(id, server: server, key: key, endpoints: endpoints, deadline: deadline)
        }
    }

    // MARK: cr 2016-06-07

    private func personalToken(
        server: ServerAddress, key: AccessKey, signing: V3Signer.Key, endpoints: [APIEndpoint],
        deadline: ContinuousClock.Instant
    ) throws(ACRError) -> RegistryToken {
        let describe = "get a registry password for \(server)"
        let call = APICall(action: "GetAuthorizationToken", version: "2016-06-07", method: "GET", path: "/tokens")
        let reply = try api.send(call, to: endpoints, key: signing, deadline: deadline, describe: describe)
        let body: PersonalTokenResponse = try decode(
            reply, describe: describe, key: key, permission: "cr:GetAuthorizationToken")
        return try token(
            reply, describe: describe, username: body.data?.tempUserName, password: body.data?.authorizationToken,
            expiryMilliseconds: body.data?.expireDate)
    }

    // MARK: cr 2018-12-01

    private func findInstance(
        named name: String, region: String, server: ServerAddress, key: AccessKey, endpoints: [APIEndpoint],
        deadline: ContinuousClock.Instant
    ) throws(ACRError) -> String {
        let describe = "find the ACR Enterprise instance \(name) for \(server)"
        let pageSize = 30
        var page = 1
        var endpoints = endpoints
        while true {
            let call = APICall(
                action: "ListInstance", version: "2018-12-01", method: "POST", path: "/",
                query: ["InstanceName": name, "PageNo": String(page), "PageSize": String(pageSize)])
            let reply = try api.send(call, to: endpoints, key: key.signingKey, deadline: deadline, describe: describe)
            // Later pages go where the first one was answered.
            endpoints = [reply.endpoint]
            let body: ListInstanceResponse = try decode(
                reply, describe: describe, key: key, permission: "cr:ListInstance")
            let instances = body.instances ?? []
            // The service matches names loosely: only an exact match is this host's instance.
            if let match = instances.first(where: { $0.instanceName == name }), let id = match.instanceID {
                return id
            }
            let total = body.totalCount ?? 0
            if instances.isEmpty || page * pageSize >= total { break }
            page += 1
        }
        throw ACRError(
            .api,
            "cannot \(describe): no Enterprise instance named \(name) in \(region) is visible to "
                + "\(key.maskedID): check the host name, or pin the instance ID for \(server.host) in config.json")
    }

    private func instanceToken(
        _ id: String, server: ServerAddress, key: AccessKey, endpoints: [APIEndpoint],
        deadline: ContinuousClock.Instant
    ) throws(ACRError) -> RegistryToken {
        let describe = "get a registry password for \(server) (instance \(id))"
        var query = ["InstanceId": id]
        if let tokenHours { query["ExpiresInHours"] = String(tokenHours) }
        let call = APICall(
            action: "GetAuthorizationToken", version: "2018-12-01", method: "POST", path: "/", query: query)
        let reply = try api.send(call, to: endpoints, key: key.signingKey, deadline: deadline, describe: describe)
        let body: InstanceTokenResponse = try decode(
            reply, describe: describe, key: key, permission: "cr:GetAuthorizationToken")
        return try token(
            reply, describe: describe, username: body.tempUsername, password: body.authorizationToken,
            expiryMilliseconds: body.expireTime)
    }

    // MARK: Responses

    /// The password an answer holds: a username, a password and an expiry that is a time.
    private func token(
        _ reply: APIReply, describe: String, username: String?, password: String?, expiryMilliseconds: Double?
    ) throws(ACRError) -> RegistryToken {
        guard let password, !password.isEmpty, let username, !username.isEmpty, let expiryMilliseconds else {
            throw unusable(reply, describe: describe)
        }
        guard let expiresAt = CachedToken.seconds(fromMilliseconds: expiryMilliseconds) else {
            throw implausibleExpiry(reply, describe: describe)
        }
        return RegistryToken(
            username: username, password: password, expiresAt: expiresAt,
            serverDate: reply.response.headers["date"], endpoint: reply.endpoint.baseURL)
    }

    /// A 200 with a body of `T` whose `IsSuccess` (where the API has it) is not false; anything
    /// else is the service's error.
    private func decode<T: Decodable>(
        _ reply: APIReply, describe: String, key: AccessKey, permission: String
    ) throws(ACRError) -> T {
        let response = reply.response
        let errorBody = APIErrorBody.parse(response.body)
        guard response.status == 200, errorBody?.isSuccess != false else {
            throw APIErrorBody.error(
                from: response, describe: describe, endpoint: reply.endpoint, keyID: key.id, action: permission)
        }
        guard let value = try? JSONDecoder().decode(T.self, from: Data(response.body)) else {
            throw unusable(reply, describe: describe)
        }
        return value
    }

    private func implausibleExpiry(_ reply: APIReply, describe: String) -> ACRError {
        ACRError(
            .api,
            "cannot \(describe): \(reply.endpoint) answered an expiry that is no plausible time: the password is "
                + "refused and nothing is cached")
    }

    private func unusable(_ reply: APIReply, describe: String) -> ACRError {
        ACRError(
            .api,
            "cannot \(describe): \(reply.endpoint) answered HTTP \(reply.response.status) without the expected fields")
    }
}

/// cr 2016-06-07 `GET /tokens`: lower-case keys, `expireDate` in milliseconds.
private struct PersonalTokenResponse: Decodable {
    struct Token: Decodable {
        let authorizationToken: String?
        let tempUserName: String?
        let expireDate: Double?
    }
    let data: Token?
}

/// cr 2018-12-01 `ListInstance`.
private struct ListInstanceResponse: Decodable {
    struct Instance: Decodable {
        let instanceID: String?
        let instanceName: String?
        enum CodingKeys: String, CodingKey { case instanceID = "InstanceId", instanceName = "InstanceName" }
    }
    let instances: [Instance]?
    let totalCount: Int?
    enum CodingKeys: String, CodingKey { case instances = "Instances", totalCount = "TotalCount" }
}

/// cr 2018-12-01 `GetAuthorizationToken`: `ExpireTime` in milliseconds.
private struct InstanceTokenResponse: Decodable {
    let authorizationToken: String?
    let tempUsername: String?
    let expireTime: Double?
    enum CodingKeys: String, CodingKey {
        case authorizationToken = "AuthorizationToken", tempUsername = "TempUsername", expireTime = "ExpireTime"
    }
}
