import ACR
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
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while true {
            let remaining = clock.now.duration(to: deadline)
            var poller = pollfd(fd: 0, events: Int16(POLLIN), revents: 0)
            let ready = poll(&poller, 1, Int32(max(0, (remaining / .milliseconds(1)).rounded(.up))))
            if ready < 0 && errno == EINTR { continue }
            guard ready > 0 else {
                throw ProtocolError(
                    .invalidInput, "no complete request on standard input within \(timeout) for \(command)")
            }
            let count = chunk.withUnsafeMutableBytes { read(0, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw ProtocolError(.invalidInput, "cannot read standard input: \(String(cString: strerror(errno)))")
            }
            if count == 0 { return bytes }
            bytes += chunk[..<count]
            if bytes.count > limit {
                throw ProtocolError(
                    .invalidInput, "invalid input for \(command): more than \(limit / (1 << 20)) MiB")
            }
        }
    }
}

/// Writes all of `text` to a file descriptor (1 or 2); Swift 6 rejects C's `stdout` and `stderr`.
func writeAll(_ text: String, to fd: Int32) {
    var text = text
    text.withUTF8 { buffer in
        var offset = 0
        while offset < buffer.count {
            let written = write(fd, buffer.baseAddress! + offset, buffer.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                return
            }
            offset += written
        }
    }
}
