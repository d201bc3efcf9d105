import Job
import Logging
import TagoodSupport
#if canImport(Glibc)
import Glibc
#endif

/// Starts the cluster's workers as local processes (`launcher: local`), one per `workers` entry, and
/// restarts a worker that died while the job still has work — as a cluster scheduler would requeue it.
public final class LocalLauncher {
    public struct Slot {
        public var worker: ClusterSpec.Worker
        public var process: ChildProcess?
        public var starts = 0
    }

    public private(set) var slots: [Slot]
    private let executable: String
    private let endpoint: String
    private let directory: JobDirectory
    private let extraArguments: [String]
    /// `--credential FILE` / `--credential-env NAME` when cluster.yaml names where workers find it.
    private let credentialArguments: [String]
    private let environment: [String: String]
    private let maxRestarts: Int
    private var restarts = 0
    private var lastStart = 0.0
    private let logger: Logger

    /// - Parameters:
    ///   - executable: the `tagood` binary to run as `tagood worker`.
    ///   - maxRestarts: how many dead workers may be replaced in total during the run.
    public init(cluster: ClusterSpec, executable: String, endpoint: String, directory: JobDirectory,
                extraArguments: [String] = [], environment: [String: String] = [:], maxRestarts: Int,
                logger: Logger) {
        slots = cluster.workers.map { Slot(worker: $0) }
        credentialArguments = cluster.workerCredential?.workerArguments ?? []
        self.executable = executable
        self.endpoint = endpoint
        self.directory = directory
        self.extraArguments = extraArguments
        self.environment = environment
        self.maxRestarts = maxRestarts
        self.logger = logger
    }

    /// Starts every worker.
    public func startAll() throws(ClusterError) {
        for i in slots.indices { try start(i) }
    }

    private func start(_ i: Int) throws(ClusterError) {
        var args = ["worker", "--connect", endpoint, "--job", directory.path, "--threads", String(slots[i].worker.threads),
                    "--parent", String(getpid())]
        switch slots[i].worker.device {
        case .cores(let cores): args += ["--cores", CoreSet.format(cores)]
        case .gpu(let index): args += ["--gpu", String(index)]
        }
        args += credentialArguments + extraArguments
        slots[i].starts += 1
        let logFile = "\(directory.logsFolder)/worker-\(i).log"
        slots[i].process = try ChildProcess(executable: executable, arguments: args, environment: environment, logFile: logFile)
        lastStart = monotonicSeconds()
    }

    /// Reaps workers that ended; restarts them while `needWorkers` (with a short back-off).
    public func maintain(needWorkers: Bool) {
        for i in slots.indices {
            guard let process = slots[i].process, !process.isRunning else { continue }
            let how = process.terminatingSignal.map { "killed by signal \($0)" } ?? "exited with status \(process.exitStatus ?? -1)"
            slots[i].process = nil
            guard needWorkers else { continue }
            logger.warning("worker \(i) (pid \(process.pid)) \(how); see \(directory.logsFolder)/worker-\(i).log")
            guard restarts < maxRestarts else {
                logger.warning("not restarting worker \(i): \(maxRestarts) restarts used")
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

    /// Waits for workers to exit (they were told to shut down), then terminates stragglers.
    public func stopAll(graceSeconds: Double) {
        let deadline = monotonicSeconds() + graceSeconds
        for slot in slots { if let p = slot.process { _ = p.wait(seconds: max(0, deadline - monotonicSeconds())) } }
        for slot in slots where slot.process?.isRunning == true {
            slot.process?.signal(SIGTERM)
            if slot.process?.wait(seconds: 2) == false { slot.process?.signal(SIGKILL); slot.process?.wait(seconds: 2) }
        }
    }
}
