/// Runs a docker protocol action against the real parts.
enum ProtocolRunner {
    /// Runs one protocol action for this process and returns its exit status.
    static func run(_ action: ProtocolAction) -> Int32 {
        // The version needs no setting, keyring or file: it answers whatever the environment holds.
        if action == .version {
            writeAll(ProtocolEngine.versionAnswer(Version.current), to: 1)
            return 0
        }
        var output = ""
        var diagnostics = ""
        let status: Int32
        do {
            let context = try HelperContext.make()
            let engine = ProtocolEngine(helper: context.credentialHelper, version: Version.current)
            let input = StandardInput(
                command: action.rawValue,
                timeout: ContinuousClock.now.duration(to: context.settings.processDeadline ?? .now))
            status = engine.run(action, input: input, output: &output, diagnostics: &diagnostics)
        } catch {
            output = error.message + "\n"
            status = 1
        }
        writeAll(diagnostics, to: 2)
        writeAll(output, to: 1)
        return status
    }
}
