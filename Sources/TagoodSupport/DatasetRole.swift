/// What a dataset is for in the TagOOD evaluation: the one role type of every module (the plan, the
/// shards' `role` attribute, the protocol and the reducer).
public enum DatasetRole: String, Sendable, Codable, CaseIterable {
    /// In-distribution training images: they make the class centers.
    case idTrain = "id-train"
    /// In-distribution validation images: the positives of every OOD metric.
    case idVal = "id-val"
    /// Out-of-distribution images.
    case ood

    /// Whether images of this role belong to the in-distribution classes (this changes token selection).
    public var isInDistribution: Bool { self != .ood }
}
