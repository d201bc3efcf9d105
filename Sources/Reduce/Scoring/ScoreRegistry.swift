import Learning

/// The scores the reducer computes, in the order they run (which is the order of their notes in the
/// summary). Register a new ``OODScore`` here.
enum ScoreRegistry {
    /// Every score for a reduce with `options`; the learned one only when a trained projector was found.
    static func scores(options: ReduceOptions, learned: LearnedScorer?) -> [any OODScore] {
        var scores: [any OODScore] = [
            CosineScore(),
            MaxTagProbScore(),
            TagOODScore(),
            TagOODSymmetricScore(),
            MahalanobisScore(feature: .object),
            MahalanobisScore(feature: .pooled),
            KNNScore(k: options.knnK)
        ]
        if let learned { scores.append(LearnedScore(scorer: learned)) }
        return scores
    }
}
