import Datasets
import TagoodSupport
import Transport

/// Runs a set of ``CoordinatorTasks`` other than the extraction on the cluster's workers: binds the
/// coordinator, starts the workers (`tagood worker … <workerArguments>`), coordinates until every task
/// is committed or failed for good, then stops the workers. `tagood reduce --cluster` uses it for the
/// partials.
///
/// The task set lists only the work still to do: a task its journal says was committed by an earlier run
/// (whose result has since gone) is re-queued with an `invalid` record, and failed tasks get a fresh
/// attempt budget, as with `resume`.
public enum TaskRunner {
    /// Where and how to run.
    public struct Options {
        /// The `tagood` executable workers are started from.
        public var executable: String
        /// Arguments added to every `tagood worker` command line (such as `--reduce`).
        public var workerArguments: [String]
        /// Extra environment for worker processes.
        public var workerEnvironment: [String: String]
        /// The job id workers are told at `welcome`.
        public var jobID: String

        public init(executable: String, workerArguments: [String], workerEnvironment: [String: String] = [:], jobID: String) {
            self.executable = executable
            self.workerArguments = workerArguments
            self.workerEnvironment = workerEnvironment
            self.jobID = jobID
        }
    }

    /// Runs `tasks` of the job in `directory` (plan `plan`), journaling to `journalPath`. Returns how the
    /// coordinator ended and the tasks' final state. `onEvent` sees every coordinator event.
    public static func run(tasks: any CoordinatorTasks, journalPath: String, directory: JobDirectory, plan: ShardPlan,
                           cluster: ClusterSpec, options: Options, log: @escaping (String) -> Void,
                           onEvent: @escaping (CoordinatorEvent) -> Void = { _ in }) throws -> (Coordinator.Outcome, JobState) {
        // Results of an earlier run that are gone again (the task set lists them) are redone.
        let before = JobState(shards: tasks.order, replaying: try Journal.read(path: journalPath))
        let journal = try Journal(path: journalPath)
        for id in before.committed {
            try journal.append(JournalRecord(.invalid, time: wallSeconds(), shard: id, code: "result.missing",
                                             message: "the committed result of an earlier run is missing"), sync: false)
        }
        try journal.sync()

        let bound = try BoundSocket(cluster: cluster)
        let socket = bound.socket, advertised = bound.endpoint
        try FileSystem.makeDirectories(directory.logsFolder)

        let coordinator = try Coordinator(
            directory: directory, plan: plan, tasks: tasks, journalPath: journalPath,
            settings: .init(jobID: options.jobID, heartbeatSeconds: cluster.heartbeatSeconds, liveness: cluster.liveness,
                            maxAttempts: cluster.maxAttempts, graceSeconds: cluster.shutdownGraceSeconds,
                            expectedModelHash: nil, resume: true),
            socket: socket, onEvent: { _ in })
        let launcher = LocalLauncher(
            cluster: cluster, executable: options.executable, endpoint: advertised, directory: directory,
            extraArguments: options.workerArguments, environment: options.workerEnvironment,
            maxRestarts: cluster.maxAttempts * max(1, tasks.order.count) + cluster.workers.count, log: log)
        try launcher.startAll()
        log("coordinator on \(advertised); started \(cluster.workers.count) workers (logs in \(directory.logsFolder))")
        coordinator.setEventSink(Coordinator.EventSink { event in
            if case .tick(let state, _) = event {
                launcher.maintain(needWorkers: !state.pending.isEmpty || !state.running.isEmpty)
            }
            onEvent(event)
        })
        let outcome: Coordinator.Outcome
        do {
            outcome = try coordinator.run()
        } catch {
            launcher.stopAll(graceSeconds: 2)
            throw error
        }
        launcher.stopAll(graceSeconds: 5)
        return (outcome, coordinator.state)
    }
}
