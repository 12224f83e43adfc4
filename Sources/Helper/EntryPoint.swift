import Glibc

/// The executable. docker calls it with exactly one protocol action; that path goes straight to
/// the engine, without the argument parser, because it runs on every pull. Everything else
/// (`--help`, `--version`, and the admin commands) goes through ``RootCommand``.
@main
enum EntryPoint {
    static func main() {
        let arguments = CommandLine.arguments
        if arguments.count == 2, let action = ProtocolAction(rawValue: arguments[1]) {
            exit(ProtocolRunner.run(action))
        }
        RootCommand.main()
    }
}
