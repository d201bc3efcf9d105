import Datasets
import Job
import Learning
import Logging
import TagoodSupport
import Tensor

/// `tagood reduce`: partials per shard (parallel, incremental), then the class centers, then every score.
///
/// 1. Every shard the reduce needs gets its ``ShardPartial`` (``PartialStore``), on `threads` dedicated
///    threads, or on a cluster's workers (a ``PartialsBuilder``: `ClusterPartialsBuilder` in Cluster);
///    existing partials (same shard file checksum) are reused.
/// 2. The center source's partials are merged in plan order into `reduce/centers.bin` (``CenterModel``).
/// 3. The `id-val` and `ood` rows are scored (``ScoreColumn``) and written to
///    `reduce/scores-<dataset>.json`, with `reduce/summary.json`.
///
/// Every output is written atomically; a killed reduce leaves finished partials behind and a re-run
/// produces byte-identical outputs, whatever the thread count.
public enum Reducer {
    /// What a run did.
    public struct Outcome: Sendable {
        public var summary: ReduceSummary
        /// Partials built by this run, and reused from an earlier one.
        public var builtPartials: Int, reusedPartials: Int
        /// Shard bytes read to build partials.
        public var shardBytesRead: Int
        /// Seconds spent building partials (reading shards), and merging and scoring.
        public var partialSeconds: Double, scoringSeconds: Double
    }

    /// Runs the reduce of the job in `directory`. The missing partials are built by `builder` (local
    /// threads unless given, such as a cluster's workers); the merge and the scores are the same.
    /// `logger` receives the progress lines.
    public static func run(
        directory: JobDirectory, options: ReduceOptions, builder: (any PartialsBuilder)? = nil,
        logger: Logger = Logger(label: "tagood.reduce", factory: { _ in SwiftLogNoOpLogHandler() })
    ) throws(ReduceError) -> Outcome {
        guard options.knnK >= 1 else { throw ReduceError(.option, "--knn-k must be at least 1 (got \(options.knnK))") }
        guard options.threads >= 1 else {
            throw ReduceError(.option, "--threads must be at least 1 (got \(options.threads))")
        }
        BLAS.setThreadCount(1)
        MemoryReuse.keepFreedBlocks()
        let job = try ReduceJob(directory: directory)
        let store = PartialStore(directory: job.directory, logger: logger)
        try Folders.make(job.directory.partialsFolder)
        store.removeTemporaryFiles()

        // Which datasets make the centers.
        let source = try CenterSource.resolve(options.centersFrom, job: job)
        let queryDatasets = job.plan.datasets.filter { $0.spec.role != .idTrain }
        var needed = Set(queryDatasets.map(\.spec.name))
        if case .datasets(let names) = source { needed.formUnion(names) }
        let tasks = job.shards.filter { needed.contains($0.dataset) }

        // 1. Partials.
        let clock = ContinuousClock()
        let t0 = clock.now
        let (built, bytes) = try buildPartials(
            tasks, builder: builder ?? LocalPartialsBuilder(threads: options.threads), job: job,
            store: store, options: options, logger: logger)
        let t1 = clock.now

        // 2. Centers.
        let model: CenterModel
        var sourceCounts: [ReduceSummary.Dataset] = []
        switch source {
        case .datasets(let names):
            (model, sourceCounts) = try mergeCenters(job: job, datasets: names, store: store)
            try model.write(to: job.directory.centersFile)
        case .job(let other):
            model = try CenterModel.read(path: other.centersFile)
            for p in model.bankPartials where !FileSystem.exists(p) {
                throw ReduceError(
                    .noCenters,
                    "the KNN bank partial \(p) of \(model.sourceJob) is missing; re-run `tagood reduce \(model.sourceJob)`"
                )
            }
        }
        logger.info(
            "centers: \(model.classCount) classes from \(model.sourceDatasets.joined(separator: ", ")), KNN bank \(model.bankSize) images"
        )

        // 3. Scores (with the learned centers when the job, or the job the centers come from, has a trained projector).
        let learned = try learnedScorer(job: job, source: source, logger: logger)
        let summary = try Scoring.run(
            job: job, datasets: queryDatasets, sourceCounts: sourceCounts,
            store: store, model: model, options: options, learned: learned, logger: logger)
        try JSONFiles.write(summary, to: job.directory.summaryFile)
        let seconds = { (d: Duration) in Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18 }
        return Outcome(
            summary: summary, builtPartials: built, reusedPartials: tasks.count - built, shardBytesRead: bytes,
            partialSeconds: seconds(t1 - t0), scoringSeconds: seconds(clock.now - t1))
    }

    /// The scorer of `tagood train`'s checkpoint: this job's, or the center source job's; nil when neither
    /// has been trained.
    static func learnedScorer(
        job: ReduceJob, source: CenterSource, logger: Logger
    ) throws(ReduceError) -> LearnedScorer? {
        var candidates = [job.directory.trainCheckpointFile]
        if case .job(let other) = source { candidates.append(other.trainCheckpointFile) }
        guard let path = candidates.first(where: FileSystem.exists) else {
            logger.info(
                "no trained projector (train/checkpoint.safetensors): run `tagood train` for the tagood-learned score")
            return nil
        }
        do { return try LearnedScorer(checkpointPath: path) } catch {
            throw ReduceError(
                .damaged, error.message, subject: path,
                remedy: error.remedy.map { "\($0); or delete it to reduce without the learned score" }
                    ?? "re-run `tagood train --resume`, or delete it to reduce without the learned score")
        }
    }

    /// Builds every missing partial with `builder`; returns how many were built and the shard bytes read.
    static func buildPartials(
        _ shards: [CommittedShard], builder: any PartialsBuilder, job: ReduceJob, store: PartialStore,
        options: ReduceOptions, logger: Logger
    ) throws(ReduceError) -> (Int, Int) {
        let todo = shards.filter { !store.has($0) }
        logger.info(
            "partials: \(shards.count - todo.count) of \(shards.count) shards already reduced, \(todo.count) to read on \(builder.description)"
        )
        if options.verify {
            // --verify verifies every shard the reduce uses, the cached ones too (the builder verifies the rest).
            let cached = shards.filter { store.has($0) }
            if !cached.isEmpty {
                logger.info("verify: \(cached.count) shards whose partials are cached")
                try verifyShards(cached, threads: options.threads)
            }
        }
        try builder.build(todo, directory: job.directory, verify: options.verify, logger: logger)
        return (todo.count, todo.reduce(0) { $0 + (FileSystem.size($1.path) ?? 0) })
    }

    /// Verifies `shards` in full on `threads` threads; the first failure is thrown.
    static func verifyShards(_ shards: [CommittedShard], threads: Int) throws(ReduceError) {
        do {
            try ParallelFor.run(count: shards.count, threads: threads) { i in
                try ShardPartial.verifyShard(shards[i])
            }
        } catch let error as ReduceError {
            throw error
        } catch {
            throw ReduceError(.shard, "\(error)")
        }
    }

    /// Merges the class sums of `datasets` in plan order.
    static func mergeCenters(
        job: ReduceJob, datasets names: [String],
        store: PartialStore
    ) throws(ReduceError) -> (CenterModel, [ReduceSummary.Dataset]) {
        let planned = job.plan.datasets.filter { names.contains($0.spec.name) }
        let named = planned.first { !$0.images.classes.isEmpty }
        var classCount = planned.map(\.images.classes.count).max() ?? 0
        if classCount == 0 {
            // List layouts name no classes: use the largest label.
            let maxLabel = planned.flatMap(\.images.labels).max() ?? -1
            classCount = Int(maxLabel) + 1
        }
        guard classCount > 0 else {
            throw ReduceError(
                .noCenters, "datasets \(names.joined(separator: ", ")) of \(job.directory.path) have no class labels")
        }
        var statistics: ClassStatistics?
        var bankPartials: [String] = []
        var bankSize = 0
        var counts: [ReduceSummary.Dataset] = []
        for dataset in planned {
            var entry = ReduceSummary.Dataset(
                name: dataset.spec.name, role: dataset.spec.role.rawValue, images: 0, failed: 0, noTokens: 0)
            defer { counts.append(entry) }
            for task in job.shards(of: dataset.spec.name) {
                let partial = try store.load(task)
                entry.images += partial.images
                entry.failed += partial.failed
                entry.noTokens += partial.noTokens
                guard let sums = partial.sums else {
                    throw ReduceError(
                        .damaged, "partial \(store.path(of: task)) has no class sums; delete it and re-run")
                }
                if statistics == nil { statistics = ClassStatistics(classCount: classCount, d: partial.embedDim) }
                guard statistics!.d == partial.embedDim else {
                    throw ReduceError(
                        .shard, "\(task.path) has embed_dim \(partial.embedDim), other shards \(statistics!.d)")
                }
                try statistics!.add(sums, source: task.path)
                bankPartials.append(store.path(of: task))
                bankSize += Int(sums.objectCounts.reduce(0, +))
            }
        }
        let model = try CenterModel(
            statistics: statistics!, classNames: named?.images.classes ?? [], bankPartials: bankPartials,
            bankSize: bankSize, sourceJob: job.directory.path, sourceDatasets: planned.map(\.spec.name))
        return (model, counts)
    }
}

/// Where the centers come from.
enum CenterSource: Equatable {
    /// These in-distribution datasets of the job being reduced.
    case datasets([String])
    /// Another job directory, already reduced.
    case job(JobDirectory)

    static func resolve(_ option: String?, job: ReduceJob) throws(ReduceError) -> CenterSource {
        guard let option else {
            let train = job.datasets(.idTrain).map(\.spec.name)
            guard !train.isEmpty else {
                throw ReduceError(
                    .noCenters,
                    "job \(job.directory.path) has no id-train dataset to take the class centers from; "
                        + "pass --centers-from <job dir> (a reduced job with id-train data) or --centers-from <id dataset of this job>"
                )
            }
            return .datasets(train)
        }
        if let dataset = job.plan.dataset(named: option) {
            guard dataset.spec.role != .ood else {
                throw ReduceError(
                    .noCenters,
                    "--centers-from \(option): dataset \(option) is an OOD set; centers need labelled in-distribution images"
                )
            }
            return .datasets([option])
        }
        let other = JobDirectory(option)
        let centers = other.centersFile
        guard FileSystem.exists(centers) else {
            throw ReduceError(
                .noCenters,
                "--centers-from \(option) is neither a dataset of this job nor a reduced job directory "
                    + "(no \(centers)); run `tagood reduce \(option)` first")
        }
        return .job(other)
    }
}
