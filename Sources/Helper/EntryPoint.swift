import Glibc

/// The executable. docker calls it with exactly one protocol action; that path goes straight to
/// the engine, without the argument parser, because it runs on every pull. Everything else
/// (`--help`, `--version`, and the admin commands) goes through ``RootCommand``.
@main
enum EntryPoint {
    static func main() {
        forbidCoreFiles()
        let arguments = CommandLine.arguments
        if arguments.count == 2, let action = ProtocolAction(rawValue: arguments[1]) {
            exit(ProtocolRunner.run(action))
        }
        RootCommand.main()
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
