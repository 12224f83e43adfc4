// Prints who a registry would be logged in as, and until when: the same keyring, sources, cache and
// errors as `docker-credential-acr-helper get`. The password is used, never printed.
//
//   swift run acr-credentials registry.cn-hangzhou.aliyuncs.com
import ACR

#if canImport(Glibc)
    import Glibc
#endif

let arguments = CommandLine.arguments
guard arguments.count == 2 else {
    print("usage: acr-credentials REGISTRY")
    exit(64)
}
do {
    let credentials = try ACRCredentials.credentials(forRegistry: arguments[1])
    let expiry = credentials.token.map { "until \($0.expiresAt) (Unix seconds)" } ?? "a fixed login"
    print("\(arguments[1]): \(credentials.login.username), \(expiry)")
} catch {
    print("\(arguments[1]): \(error.message)")
    exit(1)
}
