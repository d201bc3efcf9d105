/// ``ScoreColumn/cosine``: the largest cosine to a class center of each row's feature.
struct CosineScore: OODScore {
    var columns: [ScoreColumn] { [.cosine] }

    func score(_ context: ScoringContext, into output: inout ScoringOutput) throws {
        output.columns[.cosine] = try context.centerCosine().cosine.map(Double.init)
    }
}
