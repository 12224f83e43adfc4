// swift-tools-version: 6.2
// A Swift program asking for ACR registry credentials in-process, with the helper's library.
import PackageDescription

let package = Package(
    name: "acr-credentials-example",
    dependencies: [.package(name: "docker-credential-acr-helper", path: "../..")],
    targets: [
        .executableTarget(
            name: "acr-credentials",
            dependencies: [.product(name: "ACR", package: "docker-credential-acr-helper")])
    ]
)
