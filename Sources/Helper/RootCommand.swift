import ArgumentParser
import Glibc

/// The command line beyond docker's protocol: help, version, and the admin commands.
struct RootCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "docker-credential-acr-helper",
        abstract: "A Docker credential helper for Alibaba Cloud Container Registry, keeping keys in the keyring.",
        discussion: """
            docker, podman, skopeo and buildah call this helper with one action and a request on \
            standard input (the docker credential-helper protocol). Wire it into ~/.docker/config.json:

              {"credHelpers": {"registry.cn-hangzhou.aliyuncs.com": "acr-helper"}}

            Example: printf %s registry.example.com | docker-credential-acr-helper get
            """,
        version: "docker-credential-acr-helper \(Version.current)",
        subcommands: [
            Get.self, Store.self, Erase.self, List.self, VersionCommand.self, ImportKeysCommand.self,
            AddKeyCommand.self,
            ListKeysCommand.self,
            RemoveKeyCommand.self, ConfigureDockerCommand.self, DoctorCommand.self, ClearCacheCommand.self,
            KubeletCommand.self,
        ])
}

/// One protocol action as a subcommand, for `--help`; docker's own calls never reach the parser.
protocol ProtocolSubcommand: ParsableCommand {
    static var action: ProtocolAction { get }
}

extension ProtocolSubcommand {
    func run() throws {
        let status = ProtocolRunner.run(Self.action)
        if status != 0 { throw ExitCode(status) }
    }
}

struct Get: ProtocolSubcommand {
    static let action = ProtocolAction.get
    static let configuration = CommandConfiguration(
        abstract: "Print the credentials for the server URL on standard input, as JSON.",
        discussion: "Example: printf %s registry.example.com | docker-credential-acr-helper get")
}

struct Store: ProtocolSubcommand {
    static let action = ProtocolAction.store
    static let configuration = CommandConfiguration(
        abstract: "Store the credentials given as JSON on standard input (what docker login does).",
        discussion: """
            Example: docker login registry.example.com -u USER --password-stdin
            (with the helper set for that host in credHelpers)
            """)
}

struct Erase: ProtocolSubcommand {
    static let action = ProtocolAction.erase
    static let configuration = CommandConfiguration(
        abstract:
            "Remove the login and cached passwords stored for the server URL on standard input (what docker logout does); an AccessKey stays.",
        discussion: "Example: printf %s registry.example.com | docker-credential-acr-helper erase")
}

struct List: ProtocolSubcommand {
    static let action = ProtocolAction.list
    static let configuration = CommandConfiguration(
        abstract: "Print every host with a stored login or key, and its username or AccessKey ID, as JSON.",
        discussion: "Example: docker-credential-acr-helper list")
}

struct VersionCommand: ProtocolSubcommand {
    static let action = ProtocolAction.version
    static let configuration = CommandConfiguration(
        commandName: "version", abstract: "Print the helper's version.",
        discussion: "Example: docker-credential-acr-helper version")
}
