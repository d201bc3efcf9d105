/// The scores the reducer computes for every `id-val` and `ood` image (higher = more in-distribution);
/// each is a column of the report.
public enum ScoreColumn: String, CaseIterable, Sendable, Codable {
    /// TagOOD: max over classes of cos(object feature, center) × the best selected-tag probability; an
    /// image without tokens scores 0 (the authors' rule).
    case tagood
    /// TagOOD, symmetric: an image without tokens is scored like an in-distribution image with its
    /// fallback tag: cos(pooled feature, centers) × its best stored tag probability, or the shard's
    /// `tag_threshold` when it has none (shards do not store the best ID-tag probability of such an image;
    /// it is below the threshold, so this is its upper bound: the variant is the most favourable to such
    /// images the data allows).
    case tagoodSymmetric = "tagood-symmetric"
    /// TagOOD with learned centers (class-center learning, `tagood train`): max over classes of the mean over
    /// the 4 patterns of cos(f_p, center_{c,p}), f the trained projector's feature of the image's tokens, ×
    /// the best selected-tag probability; 0 without tokens. Only when the job has a trained projector.
    case tagoodLearned = "tagood-learned"
    /// The best stored (ID) tag probability; 0 without tags.
    case maxTagProb = "max-tag-prob"
    /// max over classes of cos(feature, center), no tag probability.
    case cosine
    /// KNN: minus the Euclidean distance to the k-th nearest normalised ID-train object feature.
    case knn
    /// Mahalanobis on the object feature: minus the smallest squared distance to a class mean under the
    /// shared covariance.
    case mahalanobisObject = "mahalanobis-object"
    /// Mahalanobis on the pooled (`global_embed`) feature.
    case mahalanobisPooled = "mahalanobis-pooled"

    /// The name in report tables.
    public var title: String {
        switch self {
        case .tagood: return "TagOOD"
        case .tagoodSymmetric: return "TagOOD (symmetric)"
        case .tagoodLearned: return "TagOOD (learned centers)"
        case .maxTagProb: return "Max tag prob"
        case .cosine: return "Cosine to centers"
        case .knn: return "KNN"
        case .mahalanobisObject: return "Mahalanobis (object)"
        case .mahalanobisPooled: return "Mahalanobis (pooled)"
        }
    }

    /// A one-line definition, for the report. "feature" is the object feature, or the pooled feature for
    /// an image without tokens.
    public var definition: String {
        switch self {
        case .tagood:
            return "max_c cos(object, center_c) × max selected-tag prob; 0 for an image without tokens (authors' rule)"
        case .tagoodSymmetric:
            return
                "as TagOOD, but an image without tokens gets cos(pooled, centers) × its best stored tag prob, or tag_threshold (an upper bound) when none is stored"
        case .tagoodLearned:
            return
                "max_c mean_p cos(f_p, center_c,p) × max selected-tag prob, f the trained projector's feature (tagood train), 4 patterns; 0 without tokens"
        case .maxTagProb: return "max probability among the stored (ID) tags; 0 without tags"
        case .cosine: return "max_c cos(feature, center_c); feature = object, or pooled without tokens"
        case .knn: return "−‖feature − b_k‖, b_k the k-th nearest normalised id-train object feature (exact)"
        case .mahalanobisObject: return "−min_c (x−μ_c)ᵀ Σ⁻¹ (x−μ_c) on the feature, class means + shared covariance"
        case .mahalanobisPooled: return "−min_c (x−μ_c)ᵀ Σ⁻¹ (x−μ_c) on the normalised pooled feature"
        }
    }
}
