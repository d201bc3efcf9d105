/// What ``ShardReader/verify(content:)`` found in a shard that passed every check.
public struct ShardVerification: Sendable, Equatable {
    /// Min, mean and max of a per-image count.
    public struct Spread: Sendable, Equatable {
        /// The smallest count (0 when there is no image).
        public var min: Int
        /// The mean count (0 when there is no image).
        public var mean: Double
        /// The largest count (0 when there is no image).
        public var max: Int
    }

    /// The shard's path.
    public var path: String
    /// Its root attributes.
    public var header: ShardHeader
    /// Images (N).
    public var images: Int
    /// Images with status ok.
    public var okImages: Int
    /// Images with another status.
    public var failedImages: Int
    /// How many images have each status (ok included).
    public var statusCounts: [ImageStatus: Int]
    /// Token rows (T).
    public var tokens: Int
    /// Tags (K).
    public var tags: Int
    /// Tokens per ok image.
    public var tokensPerImage: Spread
    /// Tags per ok image.
    public var tagsPerImage: Spread
    /// The verified `content_checksum`.
    public var contentChecksum: String
    /// The file checksum the journal records (``ShardFile/checksum(path:)``: the seal's body hash, XXH3-64
    /// for seal version 2), computed when the reader opened.
    public var fileChecksum: String
    /// Whether the file carries a seal (``ShardSeal``); files of tagood 0.1.0 do not.
    public var isSealed: Bool
    /// The file's size in bytes.
    public var fileBytes: Int
}
