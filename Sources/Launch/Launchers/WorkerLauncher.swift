import Job
import Logging

/// Starts, watches and stops a run's workers; ``ClusterRun`` drives it. One per `launcher:` of
/// `cluster.yaml`: ``ProcessLauncher`` (`local`, and `ssh`: one process per `workers` entry, restarted
/// when it dies), ``ManualLauncher`` (`none`: prints the command and waits for hand-started workers) and
/// ``SlurmLauncher`` (`slurm`: one job array, Slurm places the tasks).
public protocol WorkerLauncher: AnyObject {
    /// Starts the workers (or says how to).
    func startAll() throws
    /// Called about four times a second: notices workers that ended and replaces them while `needWorkers`.
    /// Throws when the run cannot get workers any more (they all keep dying at start); ``ClusterRun``
    /// then stops the run and reports the error.
    func maintain(needWorkers: Bool) throws
    /// After the coordinator told every worker to shut down: waits up to `graceSeconds`, then stops the rest.
    func stopAll(graceSeconds: Double)
    /// One line for the log: what was started, where.
    var summary: String { get }
    /// A line for `tagood status` about workers of the job in `directory` that only this kind of launcher
    /// can see (such as the Slurm jobs it submitted, which may wait in a queue); nil when it has none.
    static func status(of directory: JobDirectory) -> String?
}

extension WorkerLauncher {
    /// Nothing: the coordinator sees every worker this kind of launcher starts.
    public static func status(of directory: JobDirectory) -> String? { nil }
}

/// What every launcher needs to know to start a worker.
public struct WorkerLaunch: Sendable {
    /// The endpoint workers connect to.
    public var endpoint: String
    public var directory: JobDirectory
    /// The `tagood` executable (on this machine; ssh and Slurm may name another path on the nodes).
    public var executable: String
    /// Arguments of the task kind (`--reduce` …) and of the caller.
    public var extraArguments: [String]
    /// Extra environment for worker processes (remote ones get it through `env`).
    public var environment: [String: String]
    /// How many dead workers may be replaced in total during the run.
    public var maxRestarts: Int

    public init(
        endpoint: String, directory: JobDirectory, executable: String, extraArguments: [String],
        environment: [String: String], maxRestarts: Int
    ) {
        self.endpoint = endpoint
        self.directory = directory
        self.executable = executable
        self.extraArguments = extraArguments
        self.environment = environment
        self.maxRestarts = maxRestarts
    }

    /// `worker --connect … --job …` plus the device of `worker` (nil: the worker takes the cores or GPU
    /// it was given, `inherit`), the credential arguments of `cluster`, and the extra arguments.
    func workerArguments(for worker: ClusterSpec.Worker?, cluster: ClusterSpec, parent: Int32?) -> [String] {
        var args = ["worker", "--connect", endpoint, "--job", directory.path]
        if let worker {
            args += ["--threads", String(worker.threads)]
            switch worker.device {
            case .cores(let cores): args += ["--cores", CoreSet.format(cores)]
            case .gpu(let index, let cores):
                args += ["--gpu", String(index)] + (cores.map { ["--cores", CoreSet.format($0)] } ?? [])
            }
        } else {
            args += ["--cores", "inherit"]
            // A Slurm task with a GPU runs RAM on it: CUDA_VISIBLE_DEVICES is the one Slurm's gres gave it.
            if (cluster.slurm?.gpusPerTask ?? 0) > 0 { args += ["--gpu", "inherit"] }
        }
        if let parent { args += ["--parent", String(parent)] }
        return args + (cluster.workerCredential?.workerArguments ?? []) + extraArguments
    }

    /// The worker's command as one shell line, every word quoted: `exec env K=V … TAGOOD worker …` (what
    /// an ssh session and the Slurm script run) or, without `exec`, `K=V … TAGOOD worker …` (what
    /// `launcher: none` prints for people to paste).
    func shellCommand(tagood: String, worker: ClusterSpec.Worker?, cluster: ClusterSpec, exec: Bool) -> String {
        let env = environment.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        let words =
            (exec ? ["exec", "env"] : []) + env + [tagood] + workerArguments(for: worker, cluster: cluster, parent: nil)
        return words.map(Shell.quote).joined(separator: " ")
    }
}

extension ClusterSpec.Launcher {
    /// The type that implements this launcher.
    public var implementation: any WorkerLauncher.Type {
        switch self {
        case .local, .ssh: ProcessLauncher.self
        case .none: ManualLauncher.self
        case .slurm: SlurmLauncher.self
        }
    }

    /// What every kind of launcher has to say about the workers of the job in `directory`
    /// (``WorkerLauncher/status(of:)``), for `tagood status`, which does not know which launcher ran the job.
    public static func statusLines(of directory: JobDirectory) -> [String] {
        var asked = Set<ObjectIdentifier>()
        return allCases.map(\.implementation).filter { asked.insert(ObjectIdentifier($0)).inserted }
            .compactMap { $0.status(of: directory) }
    }
}

extension ClusterSpec {
    /// The launcher of `launcher:`.
    public func makeLauncher(_ launch: WorkerLaunch, logger: Logger) -> any WorkerLauncher {
        switch launcher {
        case .local: ProcessLauncher(cluster: self, launch: launch, remote: nil, logger: logger)
        case .ssh: ProcessLauncher(cluster: self, launch: launch, remote: ssh, logger: logger)
        case .none: ManualLauncher(cluster: self, launch: launch, logger: logger)
        case .slurm: SlurmLauncher(cluster: self, launch: launch, logger: logger)
        }
    }
}
