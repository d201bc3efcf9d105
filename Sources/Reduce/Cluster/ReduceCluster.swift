import Cluster
import Datasets
import TagoodSupport

/// Builds the missing partials on a cluster's workers (`tagood reduce --cluster`) instead of on local
/// threads: the coordinator hands one task per shard to `tagood worker --reduce` processes, with the same
/// leases, heartbeats, attempts and journal as the extraction (`<job>/reduce/journal.jsonl`).
public struct ReduceCluster {
    /// Where the workers run.
    public var cluster: ClusterSpec
    /// The `tagood` executable workers are started from.
    public var executable: String
    /// Extra environment for worker processes.
    public var environment: [String: String]

    public init(cluster: ClusterSpec, executable: String, environment: [String: String] = [:]) {
        self.cluster = cluster
        self.executable = executable
        self.environment = environment
    }

    /// The reduce's journal.
    static func journalPath(_ job: ReduceJob) -> String { job.reduceFolder + "/journal.jsonl" }

    /// Builds the partials of `todo` on the workers; throws unless every one is committed.
    func build(_ todo: [ShardTask], job: ReduceJob, store: PartialStore, verify: Bool,
               log: @escaping @Sendable (String) -> Void) throws(ReduceError) {
        guard !todo.isEmpty else { return }
        // The merge and scoring that follow have no graceful stop: Ctrl-C ends them as usual.
        defer { SignalMonitor.restoreDefaults() }
        let tasks = PartialTasks(todo, job: job, store: store)
        let options = TaskRunner.Options(executable: executable, workerArguments: ["--reduce"] + (verify ? ["--verify"] : []),
                                         workerEnvironment: environment, jobID: Path.basename(of: job.directory.path))
        let outcome: Coordinator.Outcome
        do {
            (outcome, _) = try TaskRunner.run(tasks: tasks, journalPath: Self.journalPath(job), directory: job.directory,
                                              plan: job.plan, cluster: cluster, options: options, log: log) { event in
                if case .attemptFailed(let id, let attempt, _, let message) = event { log("partials: \(id) attempt \(attempt) failed: \(message)") }
                if case .leaseExpired(let id, let attempt, let worker) = event { log("partials: \(id) attempt \(attempt) lost with worker \(worker); re-queued") }
                if case .staleResultDiscarded(let id, let attempt, let worker) = event { log("partials: discarded a late result for \(id) attempt \(attempt) from \(worker)") }
            }
        } catch {
            throw ReduceError(.cluster, "building the partials on the cluster failed: \(error)")
        }
        switch outcome {
        case .complete:
            return
        case .shardsFailed(let failed):
            let shown = failed.prefix(5).map(\.description).joined(separator: ", ") + (failed.count > 5 ? ", …" : "")
            throw ReduceError(.cluster, "\(failed.count) partials failed on every attempt (\(shown)); see \(Self.journalPath(job)) "
                + "and \(job.directory.logsFolder), then re-run `tagood reduce`")
        case .interrupted:
            throw ReduceError(.cluster, "the reduce was interrupted; re-run `tagood reduce` to build the remaining partials")
        }
    }
}
