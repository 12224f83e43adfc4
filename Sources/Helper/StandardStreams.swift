import ACR
import FileSystem
import Glibc

/// Standard input as the protocol reads it: bounded in size and in time, and never a terminal.
struct StandardInput: ProtocolInput {
    /// The command reading (`get`, `kubelet-credential-provider`), to name it in errors.
    let command: String
    /// How long to wait for the whole input (docker writes it at once and closes the pipe).
    let timeout: Duration

    func readAll(limit: Int) throws(ProtocolError) -> [UInt8] {
        if isatty(0) != 0 {
            throw ProtocolError(
                .invalidInput,
                "docker-credential-acr-helper \(command) reads its request from standard input, as docker "
                    + "sends it; it is not meant to be typed",
                hint: "hint: for example: printf %s registry.example.com | docker-credential-acr-helper get")
        }
        do {
            return try Files.readAll(0, limit: limit, name: "standard input", deadline: .now + timeout)
        } catch {
            switch error.kind {
            case .timedOut:
                throw ProtocolError(
                    .invalidInput, "no complete request on standard input within \(timeout) for \(command)")
            case .tooLarge:
                throw ProtocolError(.invalidInput, "invalid input for \(command): more than \(limit / (1 << 20)) MiB")
            case .system, .notPrivate:
                throw ProtocolError(.invalidInput, "cannot read standard input: \(error.reason)")
            }
        }
    }
}

/// Writes all of `text` to a file descriptor (1 or 2); Swift 6 rejects C's `stdout` and `stderr`.
/// A closed stream has no one left to tell.
func writeAll(_ text: String, to fd: Int32) {
    try? Files.writeAll(text.utf8, to: fd, name: "file descriptor \(fd)")
}
