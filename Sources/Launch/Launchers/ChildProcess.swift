import TagoodSupport

#if canImport(Glibc)
import Glibc
#endif

/// A child process started with `posix_spawn` in a process group of its own (so a Ctrl-C at the
/// terminal reaches the coordinator, which then shuts workers down in order), with its output appended
/// to a log file.
public final class ChildProcess: @unchecked Sendable {
    public let pid: pid_t
    public private(set) var exitStatus: Int32?
    /// The signal that ended the process, if any.
    public private(set) var terminatingSignal: Int32?

    /// Starts `executable` (a path, or a name looked up on `PATH`) with `arguments`; `environment` entries are added to this process's.
    public init(
        executable: String, arguments: [String], environment: [String: String] = [:], logFile: String?
    ) throws(ClusterError) {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        if let logFile {
            posix_spawn_file_actions_addopen(&actions, 1, logFile, O_WRONLY | O_CREAT | O_APPEND, 0o644)
            posix_spawn_file_actions_adddup2(&actions, 1, 2)
        }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setflags(
            &attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        posix_spawnattr_setpgroup(&attributes, 0)
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        sigaddset(&defaults, SIGINT)
        sigaddset(&defaults, SIGTERM)
        posix_spawnattr_setsigdefault(&attributes, &defaults)

        var env: [String: String] = [:]
        var cursor = environ
        while let entry = cursor.pointee {
            let text = String(cString: entry)
            if let eq = text.firstIndex(of: "=") { env[String(text[..<eq])] = String(text[text.index(after: eq)...]) }
            cursor += 1
        }
        for (k, v) in environment { env[k] = v }

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        let rc = posix_spawnp(&pid, executable, &actions, &attributes, argv, envp)
        guard rc == 0 else {
            throw ClusterError(
                .launch, "cannot start \(executable): \(String(cString: strerror(rc)))", subject: executable)
        }
        self.pid = pid
    }

    /// Whether the process is still running (reaps it when it has ended).
    public var isRunning: Bool {
        guard exitStatus == nil && terminatingSignal == nil else { return false }
        var status: Int32 = 0
        let rc = waitpid(pid, &status, WNOHANG)
        if rc == 0 { return true }
        record(status: status, reaped: rc == pid)
        return false
    }

    /// Waits up to `seconds` for the process to end; returns whether it did.
    @discardableResult
    public func wait(seconds: Double) -> Bool {
        let deadline = monotonicSeconds() + seconds
        while isRunning {
            if monotonicSeconds() >= deadline { return false }
            usleep(10_000)
        }
        return true
    }

    /// Sends a signal.
    public func signal(_ sig: Int32) { kill(pid, sig) }

    private func record(status: Int32, reaped: Bool) {
        guard reaped else { exitStatus = -1; return }
        if status & 0x7f == 0 {
            exitStatus = (status >> 8) & 0xff
        } else {
            terminatingSignal = status & 0x7f
        }
    }
}
