import SecretStore

/// The items this helper keeps in the Secret Service (docs/design.md#the-keyring), all under one libsecret schema.
///
/// An item is identified by its `kind` and `server`: storing one replaces every other of the same
/// kind and server.
package enum KeyringSchema {
    /// The libsecret schema name; the `.v1` lets a later layout live beside this one.
    package static let name = "docker-credential-acr-helper.v1"

    /// What an item holds.
    package enum Kind: String, Sendable, CaseIterable {
        /// An Alibaba Cloud AccessKey, for one host or (`server` = `*`) for all ACR registries.
        case accessKey = "access-key"
        /// A fixed registry username and password, as docker's own secretservice helper keeps.
        case registryLogin = "registry-login"
        /// A cached temporary registry password minted by ACR.
        case token
    }

    /// Attribute names.
    package enum Attribute {
        package static let kind = "kind"
        package static let server = "server"
        package static let username = "username"
        package static let accessKeyID = "access_key_id"
        package static let mintedBy = "minted_by"
        package static let endpoint = "endpoint"
    }

    /// The `server` value of the default AccessKey, for every ACR registry.
    package static let everyServer = "*"

    /// The schema as libsecret needs it.
    package static let secretSchema = SecretSchema(
        name: name,
        attributeNames: [
            Attribute.kind, Attribute.server, Attribute.username, Attribute.accessKeyID, Attribute.mintedBy,
            Attribute.endpoint,
        ])
}
