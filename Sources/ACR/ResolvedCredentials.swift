/// What `get` answers, and for a minted password, when it expires.
public struct ResolvedCredentials: Sendable, Equatable {
    /// The username and password to log in with.
    public let login: RegistryLogin
    /// The temporary password's record (expiry and refresh margin, on this machine's clock);
    /// `nil` for a static login, which does not expire.
    public let token: CachedToken?

    init(login: RegistryLogin, token: CachedToken?) {
        self.login = login
        self.token = token
    }

    init(_ token: CachedToken) {
        self.init(login: RegistryLogin(username: token.username, secret: token.password), token: token)
    }
}
