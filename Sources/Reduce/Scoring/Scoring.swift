import Datasets
import Job
import Learning
import Logging
import TagoodSupport

/// Step 3 of the reduce: every score of every `id-val` and `ood` image, the score files and the summary.
///
/// The partials' rows of every scored dataset are gathered into one ``QuerySet``; every score of
/// ``ScoreRegistry`` (an ``OODScore``) then fills its columns for all of them, one after the other.
enum Scoring {
    /// One scored dataset's slice of the query rows.
    struct Segment {
        var dataset: PlannedDataset
        var start: Int, count: Int
        var images = 0, failed = 0, noTokens = 0
        var paths: [String] = []
    }

    /// Scores every row of the partials of `datasets` with every registered score, writes the score files
    /// and returns the summary (`sourceCounts`: the center source's datasets that are not scored).
    static func run(
        job: ReduceJob, datasets: [PlannedDataset], sourceCounts: [ReduceSummary.Dataset],
        store: PartialStore, model: CenterModel, options: ReduceOptions, learned: LearnedScorer?,
        logger: Logger
    ) throws(ReduceError) -> ReduceSummary {
        let d = model.d
        let (queries, segments, scoredShards) = try gather(job: job, datasets: datasets, store: store, model: model)

        // Every registered score, over the same rows.
        let n = queries.count
        let context = ScoringContext(
            queries: queries, model: model, scoredShards: scoredShards, options: options,
            logger: logger)
        var output = ScoringOutput(knnK: options.knnK)
        var predicted: [Int32] = []
        if n > 0 {
            do {
                for score in ScoreRegistry.scores(options: options, learned: learned) {
                    try score.score(context, into: &output)
                }
                predicted = try context.centerCosine().best
            } catch let error as ReduceError {
                throw error
            } catch {
                throw ReduceError(.damaged, "scoring failed: \(error)")
            }
        }
        let columns = output.columns

        // Score files and the summary.
        var summaryDatasets = sourceCounts.filter { c in !segments.contains { $0.dataset.spec.name == c.name } }
        var correct = 0, labelled = 0
        for s in segments {
            let range = s.start..<(s.start + s.count)
            let name = s.dataset.spec.name
            let file = ScoresFile(
                dataset: name, role: s.dataset.spec.role.rawValue, paths: s.paths,
                labels: Array(queries.labels[range]), hasTokens: Array(queries.hasObject[range]),
                predictedClass: Array(predicted[range]),
                scores: Dictionary(uniqueKeysWithValues: columns.map { ($0.key.rawValue, Array($0.value[range])) }))
            let relative = JobDirectory.relativeScoresFile(dataset: name)
            try JSONFiles.write(file, to: job.directory.file(relative: relative), pretty: false)
            var entry = ReduceSummary.Dataset(
                name: name, role: s.dataset.spec.role.rawValue, images: s.images, failed: s.failed,
                noTokens: s.noTokens, scored: s.count, scoresFile: relative, group: s.dataset.spec.group)
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
        return ReduceSummary(
            planHash: job.plan.hash, centersSourceJob: model.sourceJob, centersSourceDatasets: model.sourceDatasets,
            classes: model.classCount, embedDim: d, knnBank: model.bankSize, knnK: output.knnK,
            mahalanobisRidge: output.mahalanobisRidge,
            columns: ScoreColumn.allCases.filter { n == 0 || columns[$0] != nil }
                .map { .init(name: $0.rawValue, title: $0.title, definition: $0.definition) },
            datasets: summaryDatasets, top1Accuracy: labelled > 0 ? Double(correct) / Double(labelled) : nil,
            notes: output.notes)
    }

    /// The query rows of `datasets` from their partials, in plan order: each dataset's slice, and the
    /// shards the rows come from.
    static func gather(
        job: ReduceJob, datasets: [PlannedDataset], store: PartialStore,
        model: CenterModel
    ) throws(ReduceError) -> (QuerySet, [Segment], [CommittedShard]) {
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
                    throw ReduceError(
                        .shard,
                        "\(task.path) has embed_dim \(partial.embedDim) but the centers are "
                            + "\(d) wide (\(model.sourceJob)); centers and scored images must come from the same model")
                }
                guard let rows = partial.rows else {
                    throw ReduceError(
                        .damaged,
                        "partial \(store.path(of: task)) has no rows; "
                            + "delete it and re-run `tagood reduce`")
                }
                segment.images += partial.images
                segment.failed += partial.failed
                segment.noTokens += partial.noTokens
                for i in rows.imageIndex { segment.paths.append(dataset.images.paths[task.range.start + Int(i)]) }
                queries.append(rows, tagThreshold: partial.tagThreshold)
            }
            segment.count = queries.count - segment.start
            guard segment.count > 0 else {
                throw ReduceError(
                    .emptyDataset,
                    "dataset \(dataset.spec.name) (\(dataset.spec.role.rawValue)) of "
                        + "\(job.directory.path) has no readable image: all \(segment.images) images failed in extraction, "
                        + "so it cannot be scored. Check its root (\(dataset.spec.root)) and the errors with "
                        + "`tagood inspect`, or remove it from the job")
            }
            if dataset.spec.role == .idVal {
                let labels = queries.labels[segment.start..<(segment.start + segment.count)]
                if let bad = labels.first(where: { $0 >= Int32(model.classCount) }) {
                    throw ReduceError(
                        .shard,
                        "dataset \(dataset.spec.name) has label \(bad) but the centers have "
                            + "\(model.classCount) classes (\(model.sourceJob)); use the same class list for train and val"
                    )
                }
            }
            segments.append(segment)
        }
        return (queries, segments, scoredShards)
    }
}
