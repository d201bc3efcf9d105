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
///
/// A worker that dies within ``quickDeathSeconds`` of its start (a credential it cannot find, an ssh
/// host it cannot reach) is restarted after a back-off that doubles from ``firstBackoffSeconds``; after
/// ``quickDeathsPerSlot`` such deaths in a row its slot is given up. When every slot is given up, or the
/// run's restarts are spent and no worker is left, ``maintain(needWorkers:)`` throws a `cluster.launch`
/// error quoting the last lines of a worker's log, which ends the run.
public final class ProcessLauncher: WorkerLauncher {
    public struct Slot {
        public var worker: ClusterSpec.Worker
        public var process: ChildProcess?
        public var starts = 0
        /// When the current process started (monotonic seconds).
        public var startedAt = 0.0
        /// Deaths in a row within ``ProcessLauncher/quickDeathSeconds`` of their start.
        public var quickDeaths = 0
        /// When a dead worker of this slot is due for its restart (monotonic seconds); nil: none is due.
        public var restartAt: Double?
        /// Whether the slot keeps dying and is not restarted any more.
        public var givenUp = false
    }

    /// A worker that dies sooner than this after its start died "quickly": it most likely cannot start.
    public static let quickDeathSeconds = 2.0
    /// The first back-off before restarting a worker that died quickly; it doubles with each quick death.
    public static let firstBackoffSeconds = 0.25
    /// The longest back-off.
    public static let maxBackoffSeconds = 4.0
    /// Quick deaths in a row after which a slot is given up.
    public static let quickDeathsPerSlot = 5
    /// How many lines of a worker's log a launch error quotes.
    static let quotedLogLines = 8

    public private(set) var slots: [Slot]
    private let cluster: ClusterSpec
    private let launch: WorkerLaunch
    /// nil: local processes; else how to reach the hosts.
    private let remote: ClusterSpec.SSH?
    private var restarts = 0
    /// The slot that died last, whose log a launch error quotes.
    private var lastDead: Int?
    private let logger: Logger

    public init(
        cluster: ClusterSpec, launch: WorkerLaunch, remote: ClusterSpec.SSH?,
        logger: Logger = Logger(label: "tagood.launch", factory: { _ in SwiftLogNoOpLogHandler() })
    ) {
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

    /// The executable and arguments of slot `i`'s process. An ssh host is preceded by `--`, so that
    /// nothing in it is read as an option (``ClusterSpec`` refuses such hosts anyway).
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
        return (remote.command, remote.options + ["-tt", "-o", "BatchMode=yes", "--", worker.host, line], [:])
    }

    private func start(_ i: Int) throws(ClusterError) {
        let (executable, arguments, environment) = command(for: i)
        slots[i].starts += 1
        slots[i].restartAt = nil
        let logFile = launch.directory.workerLogFile(i)
        slots[i].process = try ChildProcess(
            executable: executable, arguments: arguments, environment: environment, logFile: logFile)
        slots[i].startedAt = monotonicSeconds()
    }

    /// Notices dead workers and, while `needWorkers`, restarts them (after a back-off when they died
    /// quickly). Throws a `cluster.launch` error when no worker can be kept running: every slot keeps
    /// dying at start, or the restarts are spent and none is left.
    public func maintain(needWorkers: Bool) throws {
        let now = monotonicSeconds()
        for i in slots.indices {
            if let process = slots[i].process, !process.isRunning {
                slots[i].process = nil
                noteDeath(of: i, process: process, now: now, needWorkers: needWorkers)
            }
            guard needWorkers, slots[i].process == nil, let due = slots[i].restartAt, due <= now else { continue }
            guard restarts < launch.maxRestarts else {
                logger.warning("not restarting worker \(i): \(launch.maxRestarts) restarts used")
                slots[i].restartAt = nil
                continue
            }
            restarts += 1
            do {
                try start(i)
                logger.info("restarted worker \(i) as pid \(slots[i].process!.pid)")
            } catch {
                logger.warning("cannot restart worker \(i): \(error)")
                slots[i].quickDeaths += 1
                scheduleRestart(i, now: now)
            }
        }
        let allGivenUp = slots.allSatisfy(\.givenUp)
        guard needWorkers, !slots.isEmpty, allGivenUp || restarts >= launch.maxRestarts, !anyRunning,
            !slots.contains(where: { $0.restartAt != nil })
        else { return }
        let slot = lastDead ?? 0
        let why =
            allGivenUp
            ? "every worker died within \(Self.quickDeathSeconds) s of its start, \(Self.quickDeathsPerSlot) times in a row"
            : "every worker has died and the run's \(launch.maxRestarts) restarts are used"
        throw ClusterError(
            .launch, "\(why); the last lines of \(launch.directory.workerLogFile(slot)):\n" + logTail(of: slot),
            subject: launch.directory.workerLogFile(slot),
            remedy:
                "fix what the log says (worker_credential, ssh access, the tagood path on the hosts) in \(cluster.file), then `tagood resume \(launch.directory.path)`"
        )
    }

    /// Logs the death of slot `i`'s worker and schedules its restart.
    private func noteDeath(of i: Int, process: ChildProcess, now: Double, needWorkers: Bool) {
        lastDead = i
        guard needWorkers else {
            slots[i].restartAt = now // not now (it was told to stop, or nothing is left): if work comes back
            return
        }
        let how =
            process.terminatingSignal.map { "killed by signal \($0)" }
            ?? "exited with status \(process.exitStatus ?? -1)"
        let what =
            remote == nil
            ? "worker \(i) (pid \(process.pid))" : "worker \(i) on \(slots[i].worker.host) (ssh pid \(process.pid))"
        logger.warning("\(what) \(how); see \(launch.directory.workerLogFile(i))")
        if now - slots[i].startedAt < Self.quickDeathSeconds {
            slots[i].quickDeaths += 1
        } else {
            slots[i].quickDeaths = 0
        }
        scheduleRestart(i, now: now)
    }

    /// Due now after a worker that lived, after a doubling back-off after quick deaths; given up after
    /// ``quickDeathsPerSlot`` of them.
    private func scheduleRestart(_ i: Int, now: Double) {
        let deaths = slots[i].quickDeaths
        guard deaths < Self.quickDeathsPerSlot else {
            slots[i].givenUp = true
            slots[i].restartAt = nil
            logger.warning(
                "not restarting worker \(i): it died within \(Self.quickDeathSeconds) s of its start \(deaths) times in a row"
            )
            return
        }
        let delay =
            deaths == 0 ? 0 : min(Self.maxBackoffSeconds, Self.firstBackoffSeconds * Double(1 << (deaths - 1)))
        slots[i].restartAt = now + delay
        if delay > 0 { logger.info("restarting worker \(i) in \(delay) s") }
    }

    /// The last ``quotedLogLines`` lines of slot `i`'s log, indented, control characters shown as `?`.
    func logTail(of i: Int) -> String {
        guard let bytes = try? FileBytes.read(launch.directory.workerLogFile(i)) else { return "  (no log)" }
        let text = String(decoding: bytes.suffix(16_384), as: UTF8.self)
        let lines = text.split(separator: "\n").suffix(Self.quotedLogLines).map { line in
            "  " + String(line.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F ? "?" : Character($0) })
        }
        return lines.isEmpty ? "  (the log is empty)" : lines.joined(separator: "\n")
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
