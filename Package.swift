// swift-tools-version: 6.2
import Foundation
import PackageDescription

/// Our own targets build with every warning as an error, so "no warnings" cannot regress.
let strict: [SwiftSetting] = [.treatAllWarnings(as: .error)]

// libdbus's headers are in folders of their own (its architecture-dependent dbus-arch-deps.h among
// them): pkg-config names them (`--cflags-only-I`), for CDBus's C compiler and the C importer of
// the module above it. Without pkg-config, Debian's and Ubuntu's multiarch folders are used.
func dbusIncludeFolders() -> [String] {
    let pkgConfig = Process()
    pkgConfig.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    pkgConfig.arguments = ["pkg-config", "--cflags-only-I", "dbus-1"]
    let output = Pipe()
    pkgConfig.standardOutput = output
    pkgConfig.standardError = FileHandle.nullDevice
    if (try? pkgConfig.run()) != nil {
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        pkgConfig.waitUntilExit()
        let folders = text.split(whereSeparator: \.isWhitespace).filter { $0.hasPrefix("-I") }
        if pkgConfig.terminationStatus == 0, !folders.isEmpty {
            return folders.map(String.init)
        }
    }
    #if arch(arm64)
        let multiarch = "aarch64-linux-gnu"
    #else
        let multiarch = "x86_64-linux-gnu"
    #endif
    return ["-I/usr/include/dbus-1.0", "-I/usr/lib/\(multiarch)/dbus-1.0/include"]
}
let dbusHeaders: [SwiftSetting] = [.unsafeFlags(dbusIncludeFolders().flatMap { ["-Xcc", $0] })]

let package = Package(
    name: "docker-credential-acr-helper",
    products: [
        .executable(name: "docker-credential-acr-helper", targets: ["Helper"]),
        .library(name: "ACR", targets: ["ACR", "SecretStore"]),
    ],
    // Exact versions: the project ships binaries, and a release is built from the same sources
    // every time.
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", exact: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", exact: "1.16.2"),
    ],
    targets: [
        // C libraries from Debian's -dev packages, each behind a small header. libdbus is linked;
        // libgcrypt (signing a mint, an encrypted write's session) and libcurl (the mint's request)
        // are loaded with dlopen on first use, since a warm `get` needs neither (see each header):
        // their targets need the -dev packages' headers at build time and do not link the
        // libraries.
        .target(
            name: "CDBus", cSettings: [.unsafeFlags(dbusIncludeFolders())],
            linkerSettings: [.linkedLibrary("dbus-1")]),
        .target(name: "CGcrypt", dependencies: ["CLoader"]),
        .target(name: "CCurl", dependencies: ["CLoader"]),
        // Opening a library on first use and resolving its functions: the two targets above.
        .target(name: "CLoader"),
        // The version string, passed in by make at build time (see its header).
        .target(name: "CVersion"),
        // Two glibc functions newer than the release's glibc 2.34 floor, defined for the link (see
        // its source).
        .target(name: "CGlibcFloor"),

        // Files and the environment, one implementation of each, for every module below.
        .target(name: "FileSystem", swiftSettings: strict),
        // Hashes, MACs, Diffie-Hellman and AES (libgcrypt), for request signing and the Secret
        // Service's encrypted session.
        .target(name: "Crypto", dependencies: ["CGcrypt"], swiftSettings: strict),
        .target(
            name: "SecretStore",
            dependencies: ["CDBus", "Crypto", "FileSystem", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict + dbusHeaders),
        .target(
            name: "ACR",
            dependencies: [
                "SecretStore", "FileSystem", "CCurl", "Crypto", .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict),
        .executableTarget(
            name: "Helper",
            dependencies: [
                "ACR", "SecretStore", "FileSystem", "CVersion", "CGlibcFloor",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict),

        // Test-only helpers: the private keyring launcher, an in-memory secret store, process runner.
        .target(name: "TestSupport", dependencies: ["SecretStore"], path: "Tests/TestSupport", swiftSettings: strict),
        .testTarget(
            name: "SecretStoreTests", dependencies: ["SecretStore", "Crypto", "TestSupport"], swiftSettings: strict),
        .testTarget(
            name: "ACRTests", dependencies: ["ACR", "Crypto", "TestSupport"], exclude: ["Fixtures"],
            swiftSettings: strict),
        .testTarget(
            name: "HelperTests", dependencies: ["Helper", "ACR", "FileSystem", "TestSupport"], swiftSettings: strict),
        // Real clients (docker CLI, skopeo, podman, docker-py) against a real registry.
        .testTarget(name: "EndToEndTests", dependencies: ["Helper", "ACR", "TestSupport"], swiftSettings: strict),
    ]
)
