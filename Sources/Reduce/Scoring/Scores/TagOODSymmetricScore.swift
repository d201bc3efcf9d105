/// ``ScoreColumn/tagoodSymmetric``: as TagOOD, but an image without tokens gets its pooled cosine × its
/// best stored tag probability, or its shard's `tag_threshold` when it has none.
struct TagOODSymmetricScore: OODScore {
    var columns: [ScoreColumn] { [.tagoodSymmetric] }

    func score(_ context: ScoringContext, into output: inout ScoringOutput) throws {
        let cosine = try context.centerCosine().cosine
        let queries = context.queries
        output.columns[.tagoodSymmetric] = (0..<context.n).map { i in
            let prob = queries.tagMax[i].map(Double.init) ?? (queries.hasObject[i] ? 0 : queries.tagThreshold[i])
            return Double(cosine[i]) * prob
        }
    }
}
