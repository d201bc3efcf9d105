/// ``ScoreColumn/tagood``: cosine to the centers × the best selected-tag probability; 0 for an image
/// without tokens (the authors' rule).
struct TagOODScore: OODScore {
    var columns: [ScoreColumn] { [.tagood] }

    func score(_ context: ScoringContext, into output: inout ScoringOutput) throws {
        let cosine = try context.centerCosine().cosine
        let queries = context.queries
        output.columns[.tagood] = (0..<context.n).map { i in
            queries.hasObject[i] ? Double(cosine[i]) * Double(queries.tagMax[i] ?? 0) : 0
        }
    }
}
