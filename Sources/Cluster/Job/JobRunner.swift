import Datasets
import Extract
import Foundation
import TagoodSupport
import Transport

/// Runs a job end to end on a cluster: plan (or reuse the plan), audit existing shards, bind the
/// coordinator, start the workers, coordinate until done, stop the workers. `tagood launch` and
/// `tagood resume` are thin wrappers around it.
public final class JobRunner: @unchecked Sendable {
    public struct Options {
        /// The `tagood` executable workers are started from.
        public var executable: String
        /// Extra environment for worker processes.
        public var workerEnvironment: [String: String] = [:]
        /// Whether failed shards get a fresh attempt budget (`resume`).
        public var resume = false

        public init(executable: String) { self.executable = executable }
    }

    /// The result of a run.
    public struct Summary {
        public var outcome: Coordinator.Outcome
        public var state: JobState
        public var plan: ShardPlan
        public var audit: ShardAudit
        public var nothingToDo: Bool
    }

    public let job: JobSpec
    public let cluster: ClusterSpec
    public let directory: JobDirectory
    public let options: Options
    private let log: (String) -> Void
    private var bound: BoundSocket?

    public init(job: JobSpec, cluster: ClusterSpec, options: Options, log: @escaping (String) -> Void) {
        self.job = job
        self.cluster = cluster
        self.directory = JobDirectory(job.directory)
        self.options = options
        self.log = log
    }

    /// Binds the coordinator's socket. `launch` and `resume` call it first, so that a busy port fails
    /// before anything is written or started.
    public func bindCoordinator() throws {
        guard bound == nil else { return }
        bound = try BoundSocket(cluster: cluster)
    }

    /// Scans the datasets and writes `plan.json` and `job.yaml`, or reuses the job directory's plan
    /// when its hash is the same. A different plan in the same directory is an error.
    public func preparePlan() throws -> (plan: ShardPlan, reused: Bool) {
        let fresh = try ShardPlan.make(datasets: job.datasets, imagesPerShard: job.extract.imagesPerShard)
        if directory.exists {
            let existing = try ShardPlan.load(path: directory.planFile)
            guard existing.hash == fresh.hash else {
                throw JobError("job directory \(directory.path) holds another plan (hash \(existing.hash); this job's is \(fresh.hash)): the datasets or images_per_shard changed. Use another job name, or delete the directory to start over.")
            }
            return (existing, true)
        }
        try directory.create(for: fresh)
        try fresh.write(to: directory.planFile)
        try AtomicFile.write(job.yamlText(), to: directory.jobFile)
        return (fresh, false)
    }

    /// Runs the job. `onEvent` sees every coordinator event (for progress display).
    public func run(plan: ShardPlan, onEvent: @escaping (CoordinatorEvent) -> Void) throws -> Summary {
        try directory.create(for: plan)
        let records = try Journal.read(path: directory.journalFile)
        let journal = try Journal(path: directory.journalFile)
        let before = JobState(shards: plan.datasets.flatMap { d in d.shards.map { ShardID(dataset: d.spec.name, index: $0.index) } },
                              replaying: records)
        let audit = try ShardAudit.run(directory: directory, plan: plan, journal: journal, state: before)
        for (shard, reason) in audit.invalid { log("shard \(shard) will be redone: \(reason)") }
        for shard in audit.adopted { log("shard \(shard) was in place but not journaled; verified and adopted") }
        if audit.removedTemporary > 0 { log("removed \(audit.removedTemporary) temporary files left by earlier writers") }

        try bindCoordinator()
        let socket = bound!.socket, endpoint = bound!.endpoint
        defer { bound = nil }

        let expectedHash = job.isDecodeOnly ? "decode-only" : try ModelIdentity.hash(weightsFile: job.model.weights)
        let coordinator = try Coordinator(
            directory: directory, plan: plan,
            settings: .init(jobID: job.name, heartbeatSeconds: cluster.heartbeatSeconds, liveness: cluster.liveness,
                            maxAttempts: cluster.maxAttempts, graceSeconds: cluster.shutdownGraceSeconds,
                            expectedModelHash: expectedHash, resume: options.resume),
            socket: socket, onEvent: { _ in })
        if coordinator.state.isComplete && audit.invalid.isEmpty {
            return Summary(outcome: .complete, state: coordinator.state, plan: plan, audit: audit, nothingToDo: true)
        }
        try AtomicFile.write("{\"endpoint\": \"\(endpoint)\", \"pid\": \(getpid())}\n", to: directory.coordinatorFile)

        let launcher = LocalLauncher(
            cluster: cluster, executable: options.executable, endpoint: endpoint, directory: directory,
            environment: options.workerEnvironment,
            maxRestarts: cluster.maxAttempts * plan.shardCount + cluster.workers.count, log: log)
        try launcher.startAll()
        log("coordinator on \(endpoint); started \(cluster.workers.count) workers (logs in \(directory.logsFolder))")

        let runner = Coordinator.EventSink { event in
            if case .tick(let state, _) = event {
                launcher.maintain(needWorkers: !state.pending.isEmpty || !state.running.isEmpty)
            }
            onEvent(event)
        }
        coordinator.setEventSink(runner)
        let outcome = try coordinator.run()
        launcher.stopAll(graceSeconds: 5)
        directory.removeTemporaryFiles()  // our workers have exited: nothing can still be writing
        return Summary(outcome: outcome, state: coordinator.state, plan: plan, audit: audit, nothingToDo: false)
    }
}

/// A job that cannot run as asked.
public struct JobError: TagoodError {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var code: String { "job.invalid" }
    public var description: String { message }
}
