import Shards

/// How images become shard rows: the `extract:` section of a job file.
public struct ExtractionSettings: Sendable, Equatable {
    public var imagesPerShard = 1000
    /// Storage type of `tokens` and `global_embed`.
    public var tokenDType: TokenDType = .float16
    /// gzip level, or nil for no compression (the default: float features barely compress).
    public var gzipLevel: Int? = nil
    public var tagThreshold = 0.5
    public var attentionThreshold = 0.5
    /// Images per model forward pass.
    public var batchSize = 8
    /// Threads decoding and preprocessing images ahead of the model.
    public var decodeThreads = 2
    /// Images above this many pixels are refused (Pillow's MAX_IMAGE_PIXELS by default).
    public var maxPixels = 89_478_485
    /// Also compute and store every tag's probability of every image (the shard's `all_tag_probs`). Off by
    /// default: the token selection needs only the ID tags (and, for an OOD image none of whose ID tags
    /// fired, the others until one fires), and computing all 4,585 costs about half of RAM's forward again.
    public var allTagProbs = false

    public init() {}

    /// The shard writer options these settings ask for, for a shard of `images` images.
    public func writerOptions(images: Int) -> ShardWriter.Options {
        ShardWriter.Options(
            tokenDType: tokenDType, compression: gzipLevel.map { .gzip(level: $0) } ?? .none,
            expectedImages: images)
    }
}
