/// `reduce/scores-<dataset>.json`: every readable image of one scored dataset with each score
/// (higher = more in-distribution). Column-wise; doubles round-trip exactly.
///
/// ```json
/// {"dataset": "inat", "role": "ood", "paths": ["a.jpg", …], "labels": [-1, …], "has_tokens": [true, …],
///  "predicted_class": [17, …], "scores": {"tagood": [0.61, …], "knn": [-0.83, …], …}}
/// ```
public struct ScoresFile: Codable, Sendable, Equatable {
    public var dataset: String
    public var role: String
    public var paths: [String]
    public var labels: [Int32]
    public var hasTokens: [Bool]
    /// The nearest center's class.
    public var predictedClass: [Int32]
    /// Column name → one score per image.
    public var scores: [String: [Double]]

    enum CodingKeys: String, CodingKey {
        case dataset, role, paths, labels, scores
        case hasTokens = "has_tokens", predictedClass = "predicted_class"
    }

    /// The scores of `column` (empty when absent).
    public func column(_ column: ScoreColumn) -> [Double] { scores[column.rawValue] ?? [] }
}
