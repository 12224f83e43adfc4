import SecretStore

/// Why a credential could not be given, stored or erased: one line for docker, and where there is
/// more to say, a hint for stderr. Never contains a secret, token or signature.
public struct ACRError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The kinds of failure, for callers that act on them.
    public enum Code: Sendable, Equatable {
        /// Nothing stored or configured answers for the host.
        case notFound
        /// The server URL is not one a host name can be taken from.
        case invalidServerURL
        /// The keyring could not be used (locked, no bus, no Secret Service, …).
        case keyring
        /// A keyring item of ours could not be read back.
        case damagedItem
        /// The host's lock could not be had: held too long by another process, or its file unusable.
        case lock
        /// A setting in the environment or the config file has a value that cannot be used.
        case invalidSetting
        /// The Alibaba Cloud API could not be reached, or did not answer in time.
        case network
        /// The Alibaba Cloud API refused, or answered something unusable.
        case api
        /// The host has a key but is not an ACR registry the helper knows how to mint for.
        case notACRRegistry
    }

    /// The exact text docker, docker-py and go-containerregistry take as "no credentials here":
    /// they then fall back to anonymous access instead of failing.
    public static let notFoundMessage = "credentials not found in native keychain"

    /// What kind of failure this is.
    public let code: Code
    /// The one-line message: what failed, for which host, and what to do.
    public let message: String
    /// More help for stderr, if any.
    public let hint: String?
    /// The Alibaba Cloud error code (`SignatureDoesNotMatch`, …) behind an `.api` error.
    public let serviceCode: String?

    /// Makes an error.
    package init(_ code: Code, _ message: String, hint: String? = nil, serviceCode: String? = nil) {
        self.code = code
        self.message = message
        self.hint = hint
        self.serviceCode = serviceCode
    }

    /// The one-line message.
    public var description: String { message }

    /// Nothing answers for the host.
    package static func notFound(hint: String? = nil) -> ACRError {
        ACRError(.notFound, notFoundMessage, hint: hint)
    }

    /// The keyring failed while doing `action` (such as "read credentials for HOST").
    static func keyring(_ error: SecretStoreError, while action: String) -> ACRError {
        var named = error
        named.collectionSetting = Settings.prefix + "COLLECTION"
        named.unlockTimeoutSetting = Settings.prefix + "UNLOCK_TIMEOUT"
        var failure = ACRError(.keyring, "cannot \(action): \(named)", hint: named.hint)
        failure.keyringCause = error.code
        return failure
    }

    /// Why the keyring failed, for an error of code `.keyring`.
    public private(set) var keyringCause: SecretStoreError.Code? = nil

    /// What the user can do about it that takes one of the executable's commands: the library
    /// says the cause, the executable the command (as a hint).
    package var advice: Advice? = nil

    /// What the user can do, for the executable to say in its own words.
    package enum Advice: Sendable, Equatable {
        /// No AccessKey is stored for this ACR registry (`server`, whose host is `host`).
        case storeKey(server: String, host: String)
        /// The AccessKey used was refused: a new or corrected one is to be stored.
        case replaceKey
    }
}
