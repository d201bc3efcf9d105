import Coordination
import Datasets
import Extract
import Job
import Launch
import Logging
import Shards
import TagoodSupport
import Transport

/// Runs an extraction job end to end on a cluster: plan (or reuse the plan), audit the existing shards,
/// then ``ClusterRun``. `tagood launch` and `tagood resume` are thin wrappers around it.
public final class JobRunner {
    public struct Options {
        /// The `tagood` executable workers are started from.
        public var executable: String
        /// Extra environment for worker processes.
        public var workerEnvironment: [String: String] = [:]
        /// Whether unfinished shards get a fresh attempt budget (`resume`).
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
    private let logger: Logger
    private var bound: BoundSocket?
    private var lock: JobLock?
    /// The job's keys; new ones are written only once the lock is held (``lockDirectory()``).
    private var keys: JobKeys?
    private var keysToSave = false

    /// A runner of `job` in `directory`: for `launch`, nil, the job file's `<output>/<job>`; for `resume`,
    /// the directory the user named, wherever it was moved or copied to since (its `job.yaml` still names
    /// the place it was launched in, which is not looked at).
    public init(job: JobSpec, cluster: ClusterSpec, directory: JobDirectory? = nil, options: Options, logger: Logger) {
        self.job = job
        self.cluster = cluster
        self.directory = directory ?? JobDirectory(job.directory)
        self.options = options
        var logger = logger
        logger[metadataKey: "job"] = "\(job.name)"
        self.logger = logger
    }

    /// Binds the coordinator's socket. `launch` and `resume` call it first, so that a busy port fails
    /// before anything is written or started.
    public func bindCoordinator() throws {
        guard bound == nil else { return }
        if keys == nil {
            if FileSystem.exists(directory.coordinatorKeyFile) {
                keys = try JobKeys.load(directory)
            } else {
                keys = try JobKeys.generate()
                keysToSave = true
            }
        }
        if lock != nil { try saveNewKeys() }
        bound = try BoundSocket(cluster: cluster, keys: keys!, logger: logger)
    }

    /// Writes keys made by ``bindCoordinator()`` (under the lock, so two coordinators never race for them).
    private func saveNewKeys() throws {
        guard keysToSave, let keys else { return }
        try keys.save(to: directory)
        keysToSave = false
        logger.info(
            "made the job's CURVE keys in \(directory.keysFolder) (workers need keys/worker.key; delete keys/ and resume to rotate)"
        )
    }

    /// Takes the job directory's lock (creating the directory), so that no other coordinator runs this
    /// job until ``run(plan:observer:)`` ends; a second one fails at once, naming the holder.
    public func lockDirectory() throws {
        guard lock == nil else { return }
        try FileSystem.makeDirectories(directory.path)
        lock = try JobLock(directory: directory, host: ProcessIdentity.hostname)
        try saveNewKeys()
    }

    /// Scans the datasets and writes `plan.json` and `job.yaml`, or reuses the job directory's plan
    /// when its hash is the same. A different plan in the same directory is an error. Takes the lock first.
    ///
    /// A tar that changed since the existing plan indexed it is refused, naming it; unchanged tars are not
    /// read again (their index is reused). A changed report `group` is written into the existing plan and
    /// `job.yaml`.
    public func preparePlan() throws -> (plan: ShardPlan, reused: Bool) {
        try lockDirectory()
        let existing = directory.exists ? try ShardPlan.load(path: directory.planFile) : nil
        try existing?.checkArchivesUnchanged()
        let fresh = try ShardPlan.make(
            datasets: job.datasets, imagesPerShard: job.extract.imagesPerShard, previous: existing)
        if let existing {
            guard existing.hash == fresh.hash else {
                throw JobError(
                    .invalid,
                    "job directory \(directory.path) holds another plan (hash \(existing.hash); this job's is \(fresh.hash)): the datasets or images_per_shard changed",
                    subject: directory.planFile, remedy: "use another job name, or delete the directory to start over")
            }
            if existing.groups != fresh.groups { // the report's groups changed: nothing else did
                try fresh.write(to: directory.planFile)
                try AtomicFile.write(job.yamlText(), to: directory.jobFile)
            }
            return (fresh, true)
        }
        try directory.create(for: fresh)
        try fresh.write(to: directory.planFile)
        try AtomicFile.write(job.yamlText(), to: directory.jobFile)
        return (fresh, false)
    }

    /// Refuses to go on when the committed shards were made by another model than job.yaml's now (RAM
    /// shards in a job whose model became RAM++, say): the job would mix them, or silently redo them all.
    private func checkOneModel(_ state: JobState) throws {
        guard !job.isDecodeOnly, let first = state.committed.first else { return }
        let expected = try ModelIdentity.modelName(
            config: job.model.config, weights: job.model.weights, tags: job.model.tags)
        let path = directory.shardFile(first)
        guard let reader = try? ShardReader(path: path) else { return } // the audit reports a damaged file
        defer { reader.close() }
        guard let made = try? reader.header().metadata.modelName, made != expected else { return }
        throw JobError(
            .invalid,
            "the job's committed shards were made by model \(made) (\(path)), but job.yaml's model is now \(expected): "
                + "a job cannot mix them (RAM and RAM++ tokens, or two encoders, do not compare)",
            subject: directory.jobFile,
            remedy: "put job.yaml's model back, or extract with \(expected) into a new job directory")
    }

    /// Runs the job, holding the directory's lock until it returns.
    public func run(plan: ShardPlan, observer: ClusterRun.Observer) throws -> Summary {
        try lockDirectory()
        defer { lock = nil }
        try directory.create(for: plan)
        let journal = try Journal(path: directory.journalFile)
        let before = JobState(shards: plan.shardIDs, replaying: try Journal.read(path: directory.journalFile))
        let expectedHash =
            job.isDecodeOnly ? DecodeOnlyProducer.modelHash : try ModelIdentity.hash(weightsFile: job.model.weights)
        let identity = JobIdentity(jobID: job.name, modelHash: expectedHash)
        try checkOneModel(before)
        let audit = try ShardAudit.run(
            directory: directory, plan: plan, journal: journal, state: before, identity: identity)
        for (shard, reason) in audit.invalid {
            var logger = logger
            logger[metadataKey: "shard"] = "\(shard)"
            logger.warning("shard \(shard) will be redone: \(reason)")
        }
        for shard in audit.adopted {
            logger.info("shard \(shard) was in place but not journaled; verified and adopted")
        }
        if audit.removedTemporary > 0 {
            logger.info("removed \(audit.removedTemporary) temporary files left by earlier writers")
        }

        try bindCoordinator()
        defer { bound = nil }
        let coordinator = try Coordinator(
            tasks: ExtractionTasks(directory: directory, plan: plan, identity: identity), journal: journal,
            settings: .init(
                cluster: cluster, jobID: job.name, expectedModelHash: expectedHash, resume: options.resume,
                planHash: plan.hash))
        if coordinator.state.isComplete && audit.invalid.isEmpty {
            return Summary(outcome: .complete, state: coordinator.state, plan: plan, audit: audit, nothingToDo: true)
        }
        let run = ClusterRun(
            cluster: cluster, directory: directory, executable: options.executable,
            environment: options.workerEnvironment, logger: logger)
        let outcome = try run.run(
            coordinator, on: bound!, coordinatorFile: directory.coordinatorFile, observer: observer)
        return Summary(outcome: outcome, state: coordinator.state, plan: plan, audit: audit, nothingToDo: false)
    }
}
