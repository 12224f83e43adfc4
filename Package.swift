// swift-tools-version: 6.2
import Foundation
import PackageDescription

/// Our own targets build with every warning as an error, so "no warnings" cannot regress.
let strict: [SwiftSetting] = [.treatAllWarnings(as: .error)]

// GLib's pkg-config `--cflags` carry -pthread, which SwiftPM strips with a warning on every build
// when given as a system library's pkgConfig; so the include folders alone are asked of pkg-config
// here (`--cflags-only-I`) and passed to the C importer, and the libraries are linked from CSecret's
// module map. Without pkg-config, Debian's and Ubuntu's multiarch folders are used.
func libsecretIncludeFlags() -> [String] {
    let pkgConfig = Process()
    pkgConfig.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    pkgConfig.arguments = ["pkg-config", "--cflags-only-I", "libsecret-1", "glib-2.0"]
    let output = Pipe()
    pkgConfig.standardOutput = output
    pkgConfig.standardError = FileHandle.nullDevice
    if (try? pkgConfig.run()) != nil {
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        pkgConfig.waitUntilExit()
        let folders = text.split(whereSeparator: \.isWhitespace).filter { $0.hasPrefix("-I") }
        if pkgConfig.terminationStatus == 0, !folders.isEmpty {
            return folders.flatMap { ["-Xcc", String($0)] }
        }
    }
    #if arch(arm64)
        let multiarch = "aarch64-linux-gnu"
    #else
        let multiarch = "x86_64-linux-gnu"
    #endif
    return [
        "-Xcc", "-I/usr/include/libsecret-1", "-Xcc", "-I/usr/include/glib-2.0",
        "-Xcc", "-I/usr/lib/\(multiarch)/glib-2.0/include",
    ]
}
let libsecretHeaders: [SwiftSetting] = [.unsafeFlags(libsecretIncludeFlags())]

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
        // C libraries from Debian's -dev packages, each behind a small header.
        .systemLibrary(name: "CSecret", providers: [.apt(["libsecret-1-dev", "libglib2.0-dev"])]),
        // libgcrypt, which libsecret links too: SHA-256 and HMAC for request signing.
        .systemLibrary(name: "CGcrypt", providers: [.apt(["libgcrypt20-dev"])]),
        // libcurl is loaded with dlopen on first use (see its header): a C target that needs the
        // -dev package's headers at build time and does not link the library.
        .target(name: "CCurl"),
        // The version string, passed in by make at build time (see its header).
        .target(name: "CVersion"),
        // Two glibc functions newer than the release's glibc 2.34 floor, defined for the link (see
        // its source).
        .target(name: "CGlibcFloor"),

        // Files and the environment, one implementation of each, for every module below.
        .target(name: "FileSystem", swiftSettings: strict),
        .target(
            name: "SecretStore",
            dependencies: ["CSecret", "FileSystem", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict + libsecretHeaders),
        .target(
            name: "ACR",
            dependencies: [
                "SecretStore", "FileSystem", "CCurl", "CGcrypt", .product(name: "Logging", package: "swift-log"),
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
        .testTarget(name: "SecretStoreTests", dependencies: ["SecretStore", "TestSupport"], swiftSettings: strict),
        .testTarget(
            name: "ACRTests", dependencies: ["ACR", "TestSupport"], exclude: ["Fixtures"], swiftSettings: strict),
        .testTarget(name: "HelperTests", dependencies: ["Helper", "ACR", "TestSupport"], swiftSettings: strict),
        // Real clients (docker CLI, skopeo, podman, docker-py) against a real registry.
        .testTarget(name: "EndToEndTests", dependencies: ["Helper", "ACR", "TestSupport"], swiftSettings: strict),
    ]
)
