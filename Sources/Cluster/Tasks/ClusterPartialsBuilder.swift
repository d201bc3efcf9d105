import Coordination
import Job
import Launch
import Logging
import Reduce
import TagoodSupport

/// Builds the missing partials on a cluster's workers (`tagood reduce --cluster`) instead of on local
/// threads: ``ClusterRun`` with ``ReduceTasks``, one task per shard for `tagood worker --reduce`
/// processes, with the same leases, heartbeats, attempts and journal as the extraction
/// (`<job>/reduce/journal.jsonl`).
public struct ClusterPartialsBuilder: PartialsBuilder {
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

    public var description: String { "\(cluster.workers.count) cluster workers" }

    public func build(
        _ todo: [CommittedShard], directory: JobDirectory, verify: Bool, logger: Logger
    ) throws(ReduceError) {
        guard !todo.isEmpty else { return }
        // The merge and scoring that follow have no graceful stop: Ctrl-C ends them as usual.
        defer { SignalMonitor.restoreDefaults() }
        let journalPath = directory.reduceJournalFile
        let outcome: Coordinator.Outcome
        do {
            try FileSystem.makeDirectories(directory.reduceFolder)
            let lock = try JobLock(directory: directory, host: ProcessIdentity.hostname)
            defer { withExtendedLifetime(lock) {} }
            let journal = try Journal(path: journalPath)
            // The task set lists only the work still to do: a task the journal says an earlier run committed
            // (whose partial has since gone) is re-queued with an `invalid` record.
            let before = JobState(shards: todo.map(\.id), replaying: try Journal.read(path: journalPath))
            for id in before.committed {
                try journal.append(
                    JournalRecord(
                        .invalid, time: SystemTime().wall(), shard: id, code: "result.missing",
                        message: "the committed result of an earlier run is missing"), sync: false)
            }
            try journal.sync()
            let bound = try BoundSocket(cluster: cluster, keys: try JobKeys.loadOrCreate(directory), logger: logger)
            let coordinator = try Coordinator(
                tasks: ReduceTasks(todo, directory: directory), journal: journal,
                settings: .init(
                    cluster: cluster, jobID: Path.basename(of: directory.path), expectedModelHash: nil,
                    resume: true))
            let run = ClusterRun(
                cluster: cluster, directory: directory, executable: executable, environment: environment,
                logger: logger)
            outcome = try run.run(
                coordinator, on: bound, workerArguments: verify ? ["--verify"] : [],
                observer: .init(onEvent: { event in Self.log(event, logger) }))
        } catch let error as ReduceError {
            throw error
        } catch {
            throw ReduceError(.cluster, "building the partials on the cluster failed: \(error)")
        }
        switch outcome {
        case .complete:
            return
        case .shardsFailed(let failed):
            let shown = failed.prefix(5).map(\.description).joined(separator: ", ") + (failed.count > 5 ? ", …" : "")
            throw ReduceError(
                .cluster, "\(failed.count) partials failed on every attempt (\(shown))", subject: journalPath,
                remedy: "see \(journalPath) and \(directory.logsFolder), then re-run `tagood reduce`")
        case .interrupted:
            throw ReduceError(
                .cluster, "the reduce was interrupted", remedy: "re-run `tagood reduce` to build the remaining partials"
            )
        }
    }

    private static func log(_ event: CoordinatorEvent, _ logger: Logger) {
        switch event {
        case .attemptFailed(let id, let attempt, _, let message):
            logger.warning(
                "partials: \(id) attempt \(attempt) failed: \(message)",
                metadata: ["shard": "\(id)", "attempt": "\(attempt)"])
        case .leaseExpired(let id, let attempt, let worker, let reason):
            logger.warning(
                "partials: \(id) attempt \(attempt) re-queued: \(reason)",
                metadata: ["shard": "\(id)", "attempt": "\(attempt)", "worker": "\(worker)"])
        case .staleResultDiscarded(let id, let attempt, let worker):
            logger.info(
                "partials: discarded a late result for \(id) attempt \(attempt) from \(worker)",
                metadata: ["shard": "\(id)", "attempt": "\(attempt)", "worker": "\(worker)"])
        default:
            break
        }
    }
}
