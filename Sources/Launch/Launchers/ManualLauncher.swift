import Logging

/// `launcher: none`: starts nothing. It prints the exact `tagood worker` command line, one per
/// `workers` entry, for people who start workers themselves (Kubernetes, their own scripts;
/// docs/kubernetes.md), and the run waits for them: workers may come and go as they like.
public final class ManualLauncher: WorkerLauncher {
    private let cluster: ClusterSpec
    private let launch: WorkerLaunch
    private let logger: Logger

    public init(cluster: ClusterSpec, launch: WorkerLaunch, logger: Logger) {
        self.cluster = cluster
        self.launch = launch
        self.logger = logger
    }

    /// The command line of each `workers` entry, shell-quoted.
    public var commandLines: [String] {
        cluster.workers.map {
            launch.shellCommand(tagood: launch.executable, worker: $0, cluster: cluster, exec: false)
        }
    }

    public var summary: String { "started no workers (launcher: none); waiting for workers started by hand" }

    public func startAll() {
        var text =
            "launcher: none. Start the workers yourself, on machines that see \(launch.directory.path) "
            + "(or with the credential in keys/worker.key), one per line:\n"
        for (i, line) in commandLines.enumerated() {
            text += "  [\(cluster.workers[i].host)] \(line)\n"
        }
        print(text, terminator: "")
        logger.info("waiting for workers at \(launch.endpoint)")
    }

    public func maintain(needWorkers: Bool) {}

    public func stopAll(graceSeconds: Double) {}
}
