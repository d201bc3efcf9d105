import Job
import Logging
import TagoodSupport

#if canImport(Glibc)
import Glibc
#endif

/// Starts one worker process per `workers` entry and restarts one that died while the job still has
/// work, as a cluster scheduler would requeue it: on this machine (`launcher: local`), or on the entry's
/// host through the system `ssh` client (`launcher: ssh`, with the user's keys and ssh config). An ssh
/// session is started with `-tt`, so that when it dies (or is stopped) the remote worker gets SIGHUP
/// and exits too, and its lease expires like a dead local worker's.
public final class ProcessLauncher: WorkerLauncher {
    public struct Slot {
        public var worker: ClusterSpec.Worker
        public var process: ChildProcess?
        public var starts = 0
    }

    public private(set) var slots: [Slot]
    private let cluster: ClusterSpec
    private let launch: WorkerLaunch
    /// nil: local processes; else how to reach the hosts.
    private let remote: ClusterSpec.SSH?
    private var restarts = 0
    private var lastStart = 0.0
    private let logger: Logger

    public init(cluster: ClusterSpec, launch: WorkerLaunch, remote: ClusterSpec.SSH?, logger: Logger) {
        slots = cluster.workers.map { Slot(worker: $0) }
        self.cluster = cluster
        self.launch = launch
        self.remote = remote
        self.logger = logger
    }

    public var summary: String {
        let hosts = Set(slots.map(\.worker.host)).sorted().joined(separator: ", ")
        return remote == nil
            ? "started \(slots.count) local workers" : "started \(slots.count) workers over ssh on \(hosts)"
    }

    public func startAll() throws {
        for i in slots.indices { try start(i) }
    }

    /// The executable and arguments of slot `i`'s process.
    func command(for i: Int) -> (executable: String, arguments: [String], environment: [String: String]) {
        let worker = slots[i].worker
        guard let remote else {
            return (
                launch.executable, launch.workerArguments(for: worker, cluster: cluster, parent: getpid()),
                launch.environment
            )
        }
        let line = launch.shellCommand(
            tagood: remote.tagood ?? launch.executable, worker: worker, cluster: cluster, exec: true)
        return (remote.command, remote.options + ["-tt", "-o", "BatchMode=yes", worker.host, line], [:])
    }

    private func start(_ i: Int) throws(ClusterError) {
        let (executable, arguments, environment) = command(for: i)
        slots[i].starts += 1
        let logFile = launch.directory.workerLogFile(i)
        slots[i].process = try ChildProcess(
            executable: executable, arguments: arguments, environment: environment, logFile: logFile)
        lastStart = monotonicSeconds()
    }

    public func maintain(needWorkers: Bool) {
        for i in slots.indices {
            guard let process = slots[i].process, !process.isRunning else { continue }
            let how =
                process.terminatingSignal.map { "killed by signal \($0)" }
                ?? "exited with status \(process.exitStatus ?? -1)"
            slots[i].process = nil
            guard needWorkers else { continue }
            let what =
                remote == nil
                ? "worker \(i) (pid \(process.pid))" : "worker \(i) on \(slots[i].worker.host) (ssh pid \(process.pid))"
            logger.warning("\(what) \(how); see \(launch.directory.workerLogFile(i))")
            guard restarts < launch.maxRestarts else {
                logger.warning("not restarting worker \(i): \(launch.maxRestarts) restarts used")
                continue
            }
            guard monotonicSeconds() - lastStart > 0.2 else { continue }
            restarts += 1
            do {
                try start(i)
                logger.info("restarted worker \(i) as pid \(slots[i].process!.pid)")
            } catch {
                logger.warning("cannot restart worker \(i): \(error)")
            }
        }
    }

    /// Whether any worker process is alive.
    public var anyRunning: Bool { slots.contains { $0.process?.isRunning == true } }

    public func stopAll(graceSeconds: Double) {
        let deadline = monotonicSeconds() + graceSeconds
        for slot in slots { if let p = slot.process { _ = p.wait(seconds: max(0, deadline - monotonicSeconds())) } }
        for slot in slots where slot.process?.isRunning == true {
            slot.process?.signal(SIGTERM)
            if slot.process?.wait(seconds: 2) == false { slot.process?.signal(SIGKILL); slot.process?.wait(seconds: 2) }
        }
    }
}

/// POSIX shell quoting.
enum Shell {
    /// `word` as one shell word: unchanged when it is made of safe characters, else in single quotes.
    static func quote(_ word: String) -> String {
        let safe = word.utf8.allSatisfy { b in
            (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A)
                || "-_./:=,@%+".utf8.contains(b)
        }
        if safe && !word.isEmpty { return word }
        return "'" + word.split(separator: "'", omittingEmptySubsequences: false).joined(separator: #"'\''"#) + "'"
    }
}
