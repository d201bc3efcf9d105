import Logging
import Datasets
import Job
import Learning
import TagoodSupport

/// Step 3 of the reduce: every score of every `id-val` and `ood` image, the score files and the summary.
enum Scoring {
    /// One scored dataset's slice of the query rows.
    struct Segment {
        var dataset: PlannedDataset
        var start: Int, count: Int
        var images = 0, failed = 0, noTokens = 0
        var paths: [String] = []
    }

    static func run(job: ReduceJob, datasets: [PlannedDataset], sourceCounts: [ReduceSummary.Dataset], store: PartialStore,
                    model: CenterModel, options: ReduceOptions, learned: LearnedScorer?,
                    logger: Logger) throws(ReduceError) -> ReduceSummary {
        let d = model.d
        var queries = QuerySet(d: d)
        var segments: [Segment] = []
        var scoredShards: [CommittedShard] = []
        for dataset in datasets {
            var segment = Segment(dataset: dataset, start: queries.count, count: 0)
            for task in job.shards(of: dataset.spec.name) {
                scoredShards.append(task)
                let partial = try store.load(task)
                guard partial.embedDim == d else {
                    throw ReduceError(.shard, "\(task.path) has embed_dim \(partial.embedDim) but the centers are \(d) wide "
                        + "(\(model.sourceJob)); centers and scored images must come from the same model")
                }
                guard let rows = partial.rows else {
                    throw ReduceError(.damaged, "partial \(store.path(of: task)) has no rows; delete it and re-run `tagood reduce`")
                }
                segment.images += partial.images
                segment.failed += partial.failed
                segment.noTokens += partial.noTokens
                for i in rows.imageIndex { segment.paths.append(dataset.images.paths[task.range.start + Int(i)]) }
                queries.append(rows, tagThreshold: partial.tagThreshold)
            }
            segment.count = queries.count - segment.start
            guard segment.count > 0 else {
                throw ReduceError(.emptyDataset, "dataset \(dataset.spec.name) (\(dataset.spec.role.rawValue)) of \(job.directory.path) "
                    + "has no readable image: all \(segment.images) images failed in extraction, so it cannot be scored. "
                    + "Check its root (\(dataset.spec.root)) and the errors with `tagood inspect`, or remove it from the job")
            }
            if dataset.spec.role == .idVal {
                let labels = queries.labels[segment.start..<(segment.start + segment.count)]
                if let bad = labels.first(where: { $0 >= Int32(model.classCount) }) {
                    throw ReduceError(.shard, "dataset \(dataset.spec.name) has label \(bad) but the centers have \(model.classCount) classes "
                        + "(\(model.sourceJob)); use the same class list for train and val")
                }
            }
            segments.append(segment)
        }

        var notes: [String] = []
        var columns: [ScoreColumn: [Double]] = [:]
        var predicted: [Int32] = []
        var k = options.knnK
        var ridge: [String: Double] = ["object": 0, "pooled": 0]
        let n = queries.count
        if n > 0 {
            do {
                logger.info("scoring \(n) images: cosine to \(model.classCount) centers")
                let (cosine, best) = try CenterScorer.maxCosine(features: queries.feature, n: n, centers: model.centers,
                                                               classes: model.classCount, d: d, threads: options.threads)
                predicted = best
                columns[.cosine] = cosine.map(Double.init)
                columns[.maxTagProb] = queries.tagMax.map { Double($0 ?? 0) }
                columns[.tagood] = (0..<n).map { i in
                    queries.hasObject[i] ? Double(cosine[i]) * Double(queries.tagMax[i] ?? 0) : 0
                }
                columns[.tagoodSymmetric] = (0..<n).map { i in
                    let prob = queries.tagMax[i].map(Double.init) ?? (queries.hasObject[i] ? 0 : queries.tagThreshold[i])
                    return Double(cosine[i]) * prob
                }
                logger.info("scoring: Mahalanobis on object and pooled features")
                let object = try MahalanobisScorer(means: model.objectMeans, covariance: model.objectCovariance,
                                                   classes: model.classCount, d: d, name: "object-feature")
                let pooled = try MahalanobisScorer(means: model.pooledMeans, covariance: model.pooledCovariance,
                                                   classes: model.classCount, d: d, name: "pooled-feature")
                ridge = ["object": object.factor.ridge, "pooled": pooled.factor.ridge]
                for (name, scorer) in [("object", object), ("pooled", pooled)] where scorer.factor.ridge > 0 {
                    notes.append("Mahalanobis (\(name)): the shared covariance is singular or nearly so; a ridge of "
                        + "\(scorer.factor.ridge) was added to its diagonal")
                }
                columns[.mahalanobisObject] = try object.scores(queries.feature, n: n, threads: options.threads)
                columns[.mahalanobisPooled] = try pooled.scores(queries.pooled, n: n, threads: options.threads)
                if k > model.bankSize {
                    notes.append("KNN: k = \(k) is more than the \(model.bankSize) bank images; k = \(model.bankSize) was used")
                    k = model.bankSize
                }
                logger.info("scoring: KNN (k = \(k)) against \(model.bankSize) bank images")
                var bank = BankChunks(partials: model.bankPartials, d: d)
                let kth = try KNNScorer.kthSimilarity(queries: queries.feature, n: n, d: d, k: k, threads: options.threads) {
                    try bank.next()
                }
                columns[.knn] = kth.map { -KNNScorer.distance(similarity: $0) }
                if let learned {
                    columns[.tagoodLearned] = try learnedScores(learned, shards: scoredShards, expected: n, threads: options.threads, logger: logger)
                    let epochs = learned.checkpoint.map { "\($0.epochsDone) of \($0.options.epochs) epochs" } ?? "?"
                    notes.append("TagOOD (learned centers): projector and centers from \(learned.path) (\(epochs))")
                }
            } catch let error as ReduceError {
                throw error
            } catch {
                throw ReduceError(.damaged, "scoring failed: \(error)")
            }
        }

        // Score files and the summary.
        var summaryDatasets = sourceCounts.filter { c in !segments.contains { $0.dataset.spec.name == c.name } }
        var correct = 0, labelled = 0
        for s in segments {
            let range = s.start..<(s.start + s.count)
            let name = s.dataset.spec.name
            let file = ScoresFile(dataset: name, role: s.dataset.spec.role.rawValue, paths: s.paths,
                                  labels: Array(queries.labels[range]), hasTokens: Array(queries.hasObject[range]),
                                  predictedClass: Array(predicted[range]),
                                  scores: Dictionary(uniqueKeysWithValues: columns.map { ($0.key.rawValue, Array($0.value[range])) }))
            let relative = "reduce/scores-\(name).json"
            try JSONFiles.write(file, to: job.directory.path + "/" + relative, pretty: false)
            var entry = ReduceSummary.Dataset(name: name, role: s.dataset.spec.role.rawValue, images: s.images, failed: s.failed,
                                              noTokens: s.noTokens, scored: s.count, scoresFile: relative)
            if s.dataset.spec.role == .idVal {
                var c = 0, l = 0
                for i in range where queries.labels[i] >= 0 {
                    l += 1
                    if predicted[i] == queries.labels[i] { c += 1 }
                }
                if l > 0 { entry.top1Accuracy = Double(c) / Double(l) }
                correct += c
                labelled += l
            }
            summaryDatasets.append(entry)
        }
        return ReduceSummary(planHash: job.plan.hash, centersSourceJob: model.sourceJob, centersSourceDatasets: model.sourceDatasets,
                             classes: model.classCount, embedDim: d, knnBank: model.bankSize, knnK: k, mahalanobisRidge: ridge,
                             columns: ScoreColumn.allCases.filter { n == 0 || columns[$0] != nil }
                                 .map { .init(name: $0.rawValue, title: $0.title, definition: $0.definition) },
                             datasets: summaryDatasets, top1Accuracy: labelled > 0 ? Double(correct) / Double(labelled) : nil,
                             notes: notes)
    }

    /// The learned score of every scored row, shard by shard on `threads` threads (in the rows' order).
    static func learnedScores(_ scorer: LearnedScorer, shards: [CommittedShard], expected: Int, threads: Int,
                              logger: Logger) throws -> [Double] {
        logger.info("scoring: learned centers of \(scorer.path) on \(shards.count) shards")
        let perShard = Locked([[Double]](repeating: [], count: shards.count))
        try ParallelFor.run(count: shards.count, threads: threads) { i in
            let scores = try scorer.scores(shard: shards[i].path, checksum: shards[i].checksum)
            perShard.withLock { $0[i] = scores }
        }
        let all = perShard.value.flatMap { $0 }
        guard all.count == expected else {
            throw ReduceError(.damaged, "the learned scorer read \(all.count) readable images but the partials hold \(expected); "
                + "delete \(shards.first.map { $0.path } ?? "the partials") 's partials under reduce/partials and reduce again")
        }
        return all
    }
}
