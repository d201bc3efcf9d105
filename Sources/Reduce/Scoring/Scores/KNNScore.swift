import Logging

/// ``ScoreColumn/knn``: minus the distance to the k-th nearest bank feature (``KNNScorer``), the bank
/// streamed from the center source's partials; k is cut to the bank size, with a note.
struct KNNScore: OODScore {
    /// The k asked for (`--knn-k`).
    let k: Int

    var columns: [ScoreColumn] { [.knn] }

    func score(_ context: ScoringContext, into output: inout ScoringOutput) throws {
        let model = context.model
        var k = self.k
        if k > model.bankSize {
            output.notes.append(
                "KNN: k = \(k) is more than the \(model.bankSize) bank images; "
                    + "k = \(model.bankSize) was used")
            k = model.bankSize
        }
        output.knnK = k
        context.logger.info("scoring: KNN (k = \(k)) against \(model.bankSize) bank images")
        var bank = BankChunks(partials: model.bankPartials, d: model.d)
        let kth = try KNNScorer.kthSimilarity(
            queries: context.queries.feature, n: context.n, d: model.d, k: k,
            threads: context.threads
        ) { try bank.next() }
        output.columns[.knn] = kth.map { -KNNScorer.distance(similarity: $0) }
    }
}
