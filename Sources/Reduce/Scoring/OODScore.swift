import Job
import Logging

/// One OOD score of the reduce, or a family computed together: the ``ScoreColumn``s it fills for every
/// scored image, what it reads, and the notes it adds to the summary. ``ScoreRegistry`` lists them;
/// ``Scoring`` runs each once over the same query rows (every scored image, all datasets together).
///
/// A new score is one file with a type conforming to this protocol, its line in ``ScoreRegistry``, and its
/// column's case (name, title, definition) in ``ScoreColumn``, the name the score files and the report use.
protocol OODScore {
    /// The columns it fills, each with one value per query row.
    var columns: [ScoreColumn] { get }
    /// Fills `output.columns` for each of ``columns``; may add notes and the summary's figures.
    func score(_ context: ScoringContext, into output: inout ScoringOutput) throws
}

/// What every score reads: the query rows, the center model, the scored shards and the options. Scores
/// run one after the other on the calling thread, each on `threads` threads inside.
final class ScoringContext {
    let queries: QuerySet
    let model: CenterModel
    /// The shards the query rows come from, in row order.
    let scoredShards: [CommittedShard]
    let options: ReduceOptions
    let logger: Logger
    private var cosine: (cosine: [Float], best: [Int32])?

    init(
        queries: QuerySet, model: CenterModel, scoredShards: [CommittedShard], options: ReduceOptions,
        logger: Logger
    ) {
        self.queries = queries
        self.model = model
        self.scoredShards = scoredShards
        self.options = options
        self.logger = logger
    }

    /// Rows to score.
    var n: Int { queries.count }
    /// Threads each score may use.
    var threads: Int { options.threads }

    /// Each row's largest cosine to the class centers and that class, computed once for every score
    /// (and the score files' predicted class) that needs it.
    func centerCosine() throws -> (cosine: [Float], best: [Int32]) {
        if let cosine { return cosine }
        logger.info("scoring \(n) images: cosine to \(model.classCount) centers")
        let computed = try CenterScorer.maxCosine(
            features: queries.feature, n: n, centers: model.centers,
            classes: model.classCount, d: model.d, threads: threads)
        cosine = computed
        return computed
    }
}

/// What the scores produce together: the columns, the summary's notes and its figures.
struct ScoringOutput {
    /// One value per query row, per column.
    var columns: [ScoreColumn: [Double]] = [:]
    /// Lines for the summary and the report, in the order the scores add them.
    var notes: [String] = []
    /// The k the KNN score used (the option, or the bank size when that is smaller).
    var knnK: Int
    /// The ridge added to each Mahalanobis covariance (`object`, `pooled`), 0 when none was needed.
    var mahalanobisRidge: [String: Double] = ["object": 0, "pooled": 0]
}
