import Foundation

/// What a loaded machine may add to a process's time under the parallel test runner. Bounds are
/// asserted as "the wait it was given, plus this" (a hang never ends, so it still fails), and
/// "quick" by what the output says (a bounded wait names its bound), never by a tight clock.
package let timingSlack = Duration.seconds(10)

/// What a finished process left.
package struct ProcessResult: Sendable {
    package let status: Int32
    package let stdout: Data
    package let stderr: Data
    /// Wall time from start to exit.
    package let elapsed: Duration

    package var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
    package var stderrText: String { String(decoding: stderr, as: UTF8.self) }
}

/// Runs a program to its end with `input` on stdin and exactly `environment`.
///
/// posix_spawn and waitpid directly: Foundation's Process notices a child's exit late when several
/// run at once (about a second), which would blur every time measured here.
package func runProcess(
    _ path: String, _ arguments: [String], input: Data = Data(), environment: [String: String]
) throws -> ProcessResult {
    var stdinPipe: [Int32] = [0, 0]
    var stdoutPipe: [Int32] = [0, 0]
    var stderrPipe: [Int32] = [0, 0]
    for index in 0..<3 {
        var ends: [Int32] = [0, 0]
        guard pipe(&ends) == 0 else { throw TestFailure("pipe: \(String(cString: strerror(errno)))") }
        // Not inherited by children that other threads spawn meanwhile (their dup2 copies are).
        ends.forEach { _ = fcntl($0, F_SETFD, FD_CLOEXEC) }
        switch index {
        case 0: stdinPipe = ends
        case 1: stdoutPipe = ends
        default: stderrPipe = ends
        }
    }

    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_adddup2(&actions, stdinPipe[0], 0)
    posix_spawn_file_actions_adddup2(&actions, stdoutPipe[1], 1)
    posix_spawn_file_actions_adddup2(&actions, stderrPipe[1], 2)

    let argv = ([path] + arguments).map { strdup($0) } + [nil]
    let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
    defer {
        argv.forEach { free($0) }
        envp.forEach { free($0) }
    }
    var attributes = cleanSignalAttributes()
    defer { posix_spawnattr_destroy(&attributes) }
    let clock = ContinuousClock()
    let start = clock.now
    var pid: pid_t = 0
    let spawned = posix_spawn(&pid, path, &actions, &attributes, argv, envp)
    close(stdinPipe[0])
    close(stdoutPipe[1])
    close(stderrPipe[1])
    guard spawned == 0 else {
        [stdinPipe[1], stdoutPipe[0], stderrPipe[0]].forEach { close($0) }
        throw TestFailure("cannot start \(path): \(String(cString: strerror(spawned)))")
    }
    // Readers on their own threads, so a full pipe never stalls the child.
    let out = PipeReader(stdoutPipe[0])
    let err = PipeReader(stderrPipe[0])
    signal(SIGPIPE, SIG_IGN)
    input.withUnsafeBytes { buffer in
        var offset = 0
        while offset < buffer.count {
            let written = write(stdinPipe[1], buffer.baseAddress! + offset, buffer.count - offset)
            if written <= 0 { break }  // the child need not read its input
            offset += written
        }
    }
    close(stdinPipe[1])
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    let elapsed = start.duration(to: clock.now)
    // WIFEXITED / WEXITSTATUS, which are macros: a signal shows as 128 + its number, as in a shell.
    let exitStatus = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    return ProcessResult(status: exitStatus, stdout: out.finish(), stderr: err.finish(), elapsed: elapsed)
}

/// Starts a long-running program (a server) with stdin from /dev/null (or the descriptor `stdin`)
/// and its output appended to `log`; the caller stops it with `kill` and `waitpid`.
package func spawnServer(
    _ path: String, _ arguments: [String], environment: [String: String], log: String, stdin: Int32? = nil
) throws -> pid_t {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    if let stdin {
        posix_spawn_file_actions_adddup2(&actions, stdin, 0)
    } else {
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    }
    posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_APPEND, 0o600)
    posix_spawn_file_actions_adddup2(&actions, 1, 2)
    var attributes = cleanSignalAttributes()
    defer { posix_spawnattr_destroy(&attributes) }
    let argv = ([path] + arguments).map { strdup($0) } + [nil]
    let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
    defer {
        argv.forEach { free($0) }
        envp.forEach { free($0) }
    }
    var pid: pid_t = 0
    let spawned = posix_spawn(&pid, path, &actions, &attributes, argv, envp)
    guard spawned == 0 else { throw TestFailure("cannot start \(path): \(String(cString: strerror(spawned)))") }
    return pid
}

/// Children start with no signal blocked and default handlers: the thread spawning them may block
/// some (Dispatch's do), and a daemon that inherits a blocked SIGTERM cannot be stopped.
private func cleanSignalAttributes() -> posix_spawnattr_t {
    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    var noSignals = sigset_t()
    sigemptyset(&noSignals)
    posix_spawnattr_setsigmask(&attributes, &noSignals)
    var defaults = sigset_t()
    sigemptyset(&defaults)
    for signalNumber in [SIGPIPE, SIGTERM, SIGINT, SIGHUP, SIGCHLD] { sigaddset(&defaults, signalNumber) }
    posix_spawnattr_setsigdefault(&attributes, &defaults)
    posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
    return attributes
}

private final class PipeReader: @unchecked Sendable {
    private var data = Data()
    private let done = DispatchSemaphore(value: 0)

    init(_ fd: Int32) {
        // A thread of its own: blocking reads on Dispatch's few global threads starve the other
        // tests, and Dispatch adds threads only after about a second.
        Thread.detachNewThread {
            var buffer = [UInt8](repeating: 0, count: 65536)
            while true {
                let count = read(fd, &buffer, buffer.count)
                if count < 0 && errno == EINTR { continue }
                if count <= 0 { break }
                self.data.append(contentsOf: buffer[..<count])
            }
            close(fd)
            self.done.signal()
        }
    }

    func finish() -> Data {
        done.wait()
        return data
    }
}

/// Paths inside this package, found from this file's own location.
package enum PackagePaths {
    /// The package root.
    package static let root: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }  // Tests/TestSupport/Processes.swift
        return url.path
    }()

    /// A script in `scripts/`.
    package static func script(_ name: String) -> String { root + "/scripts/" + name }

    /// The helper executable built beside the running tests.
    package static let helper: String = {
        if let path = ProcessInfo.processInfo.environment["ACR_HELPER_BINARY"], !path.isEmpty { return path }
        let tests = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var folder = tests.deletingLastPathComponent()
        // On Linux the test runner is a file `<package>PackageTests.xctest` in the build folder.
        while !FileManager.default.fileExists(
            atPath: folder.appendingPathComponent("docker-credential-acr-helper").path),
            folder.path != "/"
        {
            folder.deleteLastPathComponent()
        }
        return folder.appendingPathComponent("docker-credential-acr-helper").path
    }()
}
