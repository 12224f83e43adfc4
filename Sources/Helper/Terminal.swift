import Glibc

/// The controlling terminal, for the admin commands that ask for a secret. The only file that
/// changes terminal modes.
enum Terminal {
    /// Whether standard input is a terminal.
    static var stdinIsTerminal: Bool { isatty(0) != 0 }

    /// Asks on the terminal and reads one line; with `hidden`, echo is off while it is typed (and
    /// turned back on whatever happens). `nil` when there is no terminal or input ended.
    static func ask(_ prompt: String, hidden: Bool) -> String? {
        let fd = open("/dev/tty", O_RDWR | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var saved = termios()
        let canHide = tcgetattr(fd, &saved) == 0
        writeAll(prompt, to: fd)
        if hidden && canHide {
            var quiet = saved
            quiet.c_lflag &= ~tcflag_t(ECHO)
            quiet.c_lflag |= tcflag_t(ECHONL)
            tcsetattr(fd, TCSAFLUSH, &quiet)
        }
        defer { if hidden && canHide { tcsetattr(fd, TCSAFLUSH, &saved) } }
        return readLine(fd)
    }

    /// One line from standard input (a pipe), without its line end; `nil` at its end.
    static func readStandardInputLine() -> String? { readLine(0) }

    private static func readLine(_ fd: Int32) -> String? {
        var bytes: [UInt8] = []
        var byte: UInt8 = 0
        while true {
            let count = read(fd, &byte, 1)
            if count < 0 && errno == EINTR { continue }
            guard count == 1 else { return bytes.isEmpty ? nil : String(decoding: bytes, as: UTF8.self) }
            if byte == UInt8(ascii: "\n") { break }
            bytes.append(byte)
            if bytes.count > 4096 { return nil }
        }
        if bytes.last == UInt8(ascii: "\r") { bytes.removeLast() }
        return String(decoding: bytes, as: UTF8.self)
    }
}
