import Glibc

/// The executable. docker calls it with exactly one protocol action; that path goes straight to
/// the engine, without the argument parser, because it runs on every pull. Everything else
/// (`--help`, `--version`, and the admin commands) goes through ``RootCommand``.
@main
enum EntryPoint {
    static func main() {
        forbidCoreFiles()
        if CommandLine.argc == 2, let action = protocolAction(CommandLine.unsafeArgv[1]) {
            exit(ProtocolRunner.run(action))
        }
        RootCommand.main()
    }

    /// The protocol action `argument` names, if any: read from the C string itself, since the
    /// first use of `CommandLine.arguments` and of a String enum's `init(rawValue:)` cost a `get`
    /// ≈ 0.2 ms at every pull.
    private static func protocolAction(_ argument: UnsafeMutablePointer<CChar>?) -> ProtocolAction? {
        guard let argument else { return nil }
        return ProtocolAction.allCases.first { strcmp(argument, $0.rawValue) == 0 }
    }

    /// No core file, should the process crash: it would hold AccessKey secrets. By the core size
    /// limit (0, which systemd-coredump and apport honour too) rather than by making the process
    /// not dumpable, which would also make `/proc/PID/exe` unreadable to other programs of the user:
    /// KeePassXC names the program asking for an item from it.
    private static func forbidCoreFiles() {
        var none = rlimit(rlim_cur: 0, rlim_max: 0)
        _ = setrlimit(__rlimit_resource_t(RLIMIT_CORE.rawValue), &none)
    }
}
