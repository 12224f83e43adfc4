/// Mints temporary registry passwords: ``ACRTokenClient`` against the real API.
package protocol TokenMinting: Sendable {
    /// A new temporary password for `registry`, minted with `material` (a role assumed first).
    /// - Throws: ``ACRError``: the API's refusal, or a network failure.
    func token(for registry: ACRRegistry, server: ServerAddress, material: KeyMaterial) throws(ACRError)
        -> RegistryToken
    /// The API endpoints a token for `registry` may come from now: a cached token minted through
    /// another one is not used.
    func endpoints(for registry: ACRRegistry) -> [APIEndpoint]
}

extension ACRTokenClient: TokenMinting {}
