/// ``ScoreColumn/maxTagProb``: each row's best stored tag probability, 0 without tags.
struct MaxTagProbScore: OODScore {
    var columns: [ScoreColumn] { [.maxTagProb] }

    func score(_ context: ScoringContext, into output: inout ScoringOutput) throws {
        output.columns[.maxTagProb] = context.queries.tagMax.map { Double($0 ?? 0) }
    }
}
