import Logging

/// ``ScoreColumn/mahalanobisObject`` or ``ScoreColumn/mahalanobisPooled``: the Mahalanobis score
/// (``MahalanobisScorer``) on the scoring feature or on the pooled one, with its class means and shared
/// covariance; notes the ridge when the covariance needed one.
struct MahalanobisScore: OODScore {
    /// Which feature, and so which means and covariance.
    enum Feature: String {
        case object, pooled
    }

    let feature: Feature

    var columns: [ScoreColumn] { [feature == .object ? .mahalanobisObject : .mahalanobisPooled] }

    func score(_ context: ScoringContext, into output: inout ScoringOutput) throws {
        let model = context.model
        let name = feature.rawValue
        context.logger.info("scoring: Mahalanobis on \(name) features")
        let scorer = try MahalanobisScorer(
            means: feature == .object ? model.objectMeans : model.pooledMeans,
            covariance: feature == .object ? model.objectCovariance : model.pooledCovariance,
            classes: model.classCount, d: model.d, name: "\(name)-feature")
        output.mahalanobisRidge[name] = scorer.factor.ridge
        if scorer.factor.ridge > 0 {
            output.notes.append(
                "Mahalanobis (\(name)): the shared covariance is singular or nearly so; a ridge of "
                    + "\(scorer.factor.ridge) was added to its diagonal")
        }
        let x = feature == .object ? context.queries.feature : context.queries.pooled
        output.columns[columns[0]] = try scorer.scores(x, n: context.n, threads: context.threads)
    }
}
