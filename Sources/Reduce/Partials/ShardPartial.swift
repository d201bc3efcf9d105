import Datasets
import TagoodSupport

/// What the reducer keeps of one shard: a few MB instead of the shard's tokens. Written to
/// `reduce/partials/<dataset>/shard-<index>-<file checksum>.bin` (an ``ArrayFile``).
///
/// - Every shard: the image counts (ok, failed, without tokens).
/// - In-distribution shards (`id-train`, `id-val`): per-class sums and counts of the object and pooled
///   features and their Gram matrices Σ x xᵀ (upper triangle, float64), for centers and Mahalanobis.
/// - `id-train` shards: the object features of their images (the KNN bank), float32.
/// - `id-val` and `ood` shards: one row per readable image (its index in the shard, label, object and
///   pooled features, best tag probability), the input of every score.
public struct ShardPartial: Sendable, Equatable {
    /// Per-class sums over one or more shards (float64), for classes present only.
    public struct ClassSums: Sendable, Equatable {
        /// Class indices, ascending.
        public var classes: [Int32] = []
        /// Images with an object feature, per class.
        public var objectCounts: [Int64] = []
        /// Readable images, per class (all have a pooled feature).
        public var pooledCounts: [Int64] = []
        /// Σ object features, [classes × d].
        public var objectSums: [Double] = []
        /// Σ pooled features, [classes × d].
        public var pooledSums: [Double] = []
        /// Σ o oᵀ over object features, packed upper triangle.
        public var objectGram: [Double] = []
        /// Σ p pᵀ over pooled features, packed upper triangle.
        public var pooledGram: [Double] = []
    }

    /// The rows of one shard's readable images.
    public struct Rows: Sendable, Equatable {
        /// Each row's image index within the shard.
        public var imageIndex: [Int32] = []
        public var labels: [Int32] = []
        /// 1 when the image has an object feature (at least one token).
        public var hasObject: [UInt8] = []
        /// The best stored tag probability, NaN when the image has no stored tag.
        public var tagMax: [Float] = []
        /// [rows × d], zeros where `hasObject` is 0.
        public var object: [Float] = []
        /// [rows × d].
        public var pooled: [Float] = []

        public var count: Int { labels.count }

        /// Reserves room for `images` rows of width `d`.
        mutating func reserve(images: Int, d: Int) {
            imageIndex.reserveCapacity(images); labels.reserveCapacity(images)
            hasObject.reserveCapacity(images); tagMax.reserveCapacity(images)
            object.reserveCapacity(images * d); pooled.reserveCapacity(images * d)
        }
    }

    public var dataset: String
    public var role: DatasetRole
    public var shardIndex: Int
    /// The shard file's checksum this partial was made from.
    public var checksum: String
    public var embedDim: Int
    /// The shard's `tag_threshold` attribute.
    public var tagThreshold: Double
    /// The shard's `model_name` attribute (`swin_l_384`, `ram_plus_swin_l_384`); nil in a partial written
    /// before tagood 0.4.
    public var modelName: String?
    /// Images in the shard, failed images (status not ok), readable images without tokens.
    public var images: Int, failed: Int, noTokens: Int
    /// Per-class sums (in-distribution shards).
    public var sums: ClassSums?
    /// KNN bank rows (`id-train` shards): object features, [bankCount × d].
    public var bank: [Float]?
    /// Per-image rows (`id-val`, `ood` shards).
    public var rows: Rows?

    /// The bank rows this partial contributes when its dataset is the center source.
    public var bankFeatures: [Float] {
        if let bank { return bank }
        guard let rows else { return [] }
        var out: [Float] = []
        for i in 0..<rows.count where rows.hasObject[i] == 1 {
            out += rows.object[(i * embedDim)..<((i + 1) * embedDim)]
        }
        return out
    }
}
