import Datasets
import TagoodSupport

/// `tagood reduce`: partials per shard (parallel, incremental), then the class centers, then every score.
///
/// 1. Every shard the reduce needs gets its ``ShardPartial`` (``PartialStore``), on `threads` dedicated
///    threads, or on a cluster's workers (``ReduceCluster``); existing partials (same shard file
///    checksum) are reused.
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

    /// Runs the reduce of the job at `jobPath`. With `cluster`, the missing partials are built by its
    /// workers instead of local threads; the merge and the scores are the same. `log` receives progress lines.
    public static func run(jobPath: String, options: ReduceOptions, cluster: ReduceCluster? = nil,
                           log: @escaping @Sendable (String) -> Void = { _ in }) throws(ReduceError) -> Outcome {
        guard options.knnK >= 1 else { throw ReduceError(.option, "--knn-k must be at least 1 (got \(options.knnK))") }
        guard options.threads >= 1 else { throw ReduceError(.option, "--threads must be at least 1 (got \(options.threads))") }
        BLAS.singleThreaded()
        let job = try ReduceJob(path: jobPath)
        let store = PartialStore(folder: job.partialsFolder)
        try Folders.make(job.partialsFolder)
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
        let (built, bytes): (Int, Int)
        if let cluster {
            (built, bytes) = try buildOnCluster(tasks, cluster: cluster, job: job, store: store, options: options, log: log)
        } else {
            (built, bytes) = try buildPartials(tasks, store: store, options: options, log: log)
        }
        let t1 = clock.now

        // 2. Centers.
        let model: CenterModel
        var sourceCounts: [ReduceSummary.Dataset] = []
        switch source {
        case .datasets(let names):
            (model, sourceCounts) = try mergeCenters(job: job, datasets: names, store: store)
            try model.write(to: job.reduceFolder + "/centers.bin")
        case .job(let path):
            model = try CenterModel.read(path: path + "/reduce/centers.bin")
            for p in model.bankPartials where !Folders.exists(p) {
                throw ReduceError(.noCenters, "the KNN bank partial \(p) of \(model.sourceJob) is missing; re-run `tagood reduce \(model.sourceJob)`")
            }
        }
        log("centers: \(model.classCount) classes from \(model.sourceDatasets.joined(separator: ", ")), KNN bank \(model.bankSize) images")

        // 3. Scores.
        let summary = try Scoring.run(job: job, datasets: queryDatasets, sourceCounts: sourceCounts,
                                      store: store, model: model, options: options, log: log)
        try JSONFiles.write(summary, to: job.reduceFolder + "/summary.json")
        let seconds = { (d: Duration) in Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18 }
        return Outcome(summary: summary, builtPartials: built, reusedPartials: tasks.count - built, shardBytesRead: bytes,
                       partialSeconds: seconds(t1 - t0), scoringSeconds: seconds(clock.now - t1))
    }

    /// Builds every missing partial in parallel; returns how many were built and the shard bytes read.
    static func buildPartials(_ tasks: [ShardTask], store: PartialStore, options: ReduceOptions,
                              log: @escaping @Sendable (String) -> Void) throws(ReduceError) -> (Int, Int) {
        let todo = tasks.filter { !store.has($0) }
        log("partials: \(tasks.count - todo.count) of \(tasks.count) shards already reduced, \(todo.count) to read")
        let counter = ProgressCounter()
        do {
            try ParallelFor.run(count: todo.count, threads: options.threads) { i in
                let task = todo[i]
                try store.ensure(task, verify: options.verify)
                let size = (try? ShardFileSize.bytes(task.path)) ?? 0
                let (done, total) = counter.add(bytes: size)
                if done == todo.count || done % max(5, todo.count / 10) == 0 {
                    log("partials: \(done)/\(todo.count) shards read (\(total / 1_000_000) MB)")
                }
            }
        } catch let error as ReduceError {
            throw error
        } catch {
            throw ReduceError(.shard, "\(error)")
        }
        return (todo.count, counter.bytes)
    }

    /// Builds every missing partial on the cluster's workers; returns how many were built and the shard bytes read.
    static func buildOnCluster(_ tasks: [ShardTask], cluster: ReduceCluster, job: ReduceJob, store: PartialStore, options: ReduceOptions,
                               log: @escaping @Sendable (String) -> Void) throws(ReduceError) -> (Int, Int) {
        let todo = tasks.filter { !store.has($0) }
        log("partials: \(tasks.count - todo.count) of \(tasks.count) shards already reduced, \(todo.count) to read on \(cluster.cluster.workers.count) cluster workers")
        try cluster.build(todo, job: job, store: store, verify: options.verify, log: log)
        let bytes = todo.reduce(0) { $0 + ((try? ShardFileSize.bytes($1.path)) ?? 0) }
        return (todo.count, bytes)
    }

    /// Merges the class sums of `datasets` in plan order.
    static func mergeCenters(job: ReduceJob, datasets names: [String],
                             store: PartialStore) throws(ReduceError) -> (CenterModel, [ReduceSummary.Dataset]) {
        let planned = job.plan.datasets.filter { names.contains($0.spec.name) }
        let named = planned.first { !$0.images.classes.isEmpty }
        var classCount = planned.map(\.images.classes.count).max() ?? 0
        if classCount == 0 {
            // List layouts name no classes: use the largest label.
            let maxLabel = planned.flatMap(\.images.labels).max() ?? -1
            classCount = Int(maxLabel) + 1
        }
        guard classCount > 0 else {
            throw ReduceError(.noCenters, "datasets \(names.joined(separator: ", ")) of \(job.directory.path) have no class labels")
        }
        var statistics: ClassStatistics?
        var bankPartials: [String] = []
        var bankSize = 0
        var counts: [ReduceSummary.Dataset] = []
        for dataset in planned {
            var entry = ReduceSummary.Dataset(name: dataset.spec.name, role: dataset.spec.role.rawValue, images: 0, failed: 0, noTokens: 0)
            defer { counts.append(entry) }
            for task in job.shards(of: dataset.spec.name) {
                let partial = try store.load(task)
                entry.images += partial.images
                entry.failed += partial.failed
                entry.noTokens += partial.noTokens
                guard let sums = partial.sums else {
                    throw ReduceError(.damaged, "partial \(store.path(of: task)) has no class sums; delete it and re-run")
                }
                if statistics == nil { statistics = ClassStatistics(classCount: classCount, d: partial.embedDim) }
                guard statistics!.d == partial.embedDim else {
                    throw ReduceError(.shard, "\(task.path) has embed_dim \(partial.embedDim), other shards \(statistics!.d)")
                }
                try statistics!.add(sums, source: task.path)
                bankPartials.append(store.path(of: task))
                bankSize += Int(sums.objectCounts.reduce(0, +))
            }
        }
        let model = try CenterModel(statistics: statistics!, classNames: named?.images.classes ?? [], bankPartials: bankPartials,
                                    bankSize: bankSize, sourceJob: job.directory.path, sourceDatasets: planned.map(\.spec.name))
        return (model, counts)
    }
}

/// Where the centers come from.
enum CenterSource: Equatable {
    /// These in-distribution datasets of the job being reduced.
    case datasets([String])
    /// Another job directory, already reduced.
    case job(String)

    static func resolve(_ option: String?, job: ReduceJob) throws(ReduceError) -> CenterSource {
        guard let option else {
            let train = job.datasets(.idTrain).map(\.spec.name)
            guard !train.isEmpty else {
                throw ReduceError(.noCenters, "job \(job.directory.path) has no id-train dataset to take the class centers from; "
                    + "pass --centers-from <job dir> (a reduced job with id-train data) or --centers-from <id dataset of this job>")
            }
            return .datasets(train)
        }
        if let dataset = job.plan.dataset(named: option) {
            guard dataset.spec.role != .ood else {
                throw ReduceError(.noCenters, "--centers-from \(option): dataset \(option) is an OOD set; centers need labelled in-distribution images")
            }
            return .datasets([option])
        }
        let centers = option + "/reduce/centers.bin"
        guard Folders.exists(centers) else {
            throw ReduceError(.noCenters, "--centers-from \(option) is neither a dataset of this job nor a reduced job directory "
                + "(no \(centers)); run `tagood reduce \(option)` first")
        }
        return .job(option)
    }
}
