/// One image read back from a shard (floats are widened to `Float` whatever the stored dtype).
public struct ShardImage: Sendable, Equatable {
    /// The image's row in the shard (0-based).
    public var index: Int
    /// The path relative to the dataset root.
    public var path: String
    /// The class index, or -1 for OOD images.
    public var label: Int32
    /// ok, or why the image failed.
    public var status: ImageStatus
    /// The failure message ("" when ok).
    public var error: String
    /// The tokens, row-major `[tokenCount, embedDim]`.
    public var tokens: [Float]
    /// Each token's position among the image tokens.
    public var tokenIndex: [Int16]
    /// The pooled embedding (`embedDim` values; zeros for a failed image).
    public var globalEmbed: [Float]
    /// The selected tag ids.
    public var tagIDs: [Int32]
    /// Their probabilities.
    public var tagProbs: [Float]
    /// The attention map (`imageTokens` values; zeros for a failed image).
    public var attention: [Float]
    /// Every tag's probability (`all_tags` values; zeros for a failed image), when the shard stores them;
    /// empty otherwise.
    public var allTagProbs: [Float] = []
    /// The width of a token row.
    public var embedDim: Int

    /// The number of token rows.
    public var tokenCount: Int { tokenIndex.count }

    /// Token row `row` (0 ..< tokenCount).
    public func token(_ row: Int) -> ArraySlice<Float> {
        tokens[row * embedDim ..< (row + 1) * embedDim]
    }
}
