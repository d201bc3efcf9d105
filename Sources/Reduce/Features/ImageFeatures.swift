import Shards

/// The features the reducer keeps of one readable image.
///
/// - object: the mean of the image's selected tokens, L2-normalised (nil when it has no token, or when
///   the mean is the zero vector);
/// - pooled: `global_embed` (the pooled token), L2-normalised;
/// - tagMax: the highest probability among the stored (selected, in-distribution) tags, nil when none.
public struct ImageFeatures: Sendable, Equatable {
    public var object: [Float]?
    public var pooled: [Float]
    public var tagMax: Float?

    /// Computes the features of `image` (which must have status ok). Sums run in Double.
    public init(_ image: ShardImage) {
        let d = image.embedDim
        if image.tokenCount > 0 {
            var sum = [Double](repeating: 0, count: d)
            image.tokens.withUnsafeBufferPointer { t in
                for row in 0..<image.tokenCount {
                    let base = row * d
                    for j in 0..<d { sum[j] += Double(t[base + j]) }
                }
            }
            object = Vectors.normalised(sum)
        } else {
            object = nil
        }
        pooled = Vectors.normalised(image.globalEmbed.map(Double.init)) ?? [Float](repeating: 0, count: d)
        tagMax = image.tagProbs.max()
    }

    /// Computes the features of image `i` of a column block (which must have status ok), without
    /// per-image copies: the same values as ``init(_:)`` on that image (the token sums are exact in
    /// Double for float16 rows and run in the same order for float32 ones).
    public init(_ block: ShardColumnBlock, image i: Int) {
        let d = block.embedDim
        if block.tokenCount(of: i) > 0 {
            let sum = [Double](unsafeUninitializedCapacity: d) { buffer, initialized in
                buffer.initialize(repeating: 0)
                block.addTokenRows(of: i, into: buffer.baseAddress!)
                initialized = d
            }
            object = Vectors.normalised(sum)
        } else {
            object = nil
        }
        let global = [Double](unsafeUninitializedCapacity: d) { buffer, initialized in
            block.globalEmbed(of: i, into: buffer.baseAddress!)
            initialized = d
        }
        pooled = Vectors.normalised(global) ?? [Float](repeating: 0, count: d)
        tagMax = block.tagProbs(of: i).max()
    }

    /// Builds features from parts (tests).
    public init(object: [Float]?, pooled: [Float], tagMax: Float?) {
        self.object = object
        self.pooled = pooled
        self.tagMax = tagMax
    }
}
