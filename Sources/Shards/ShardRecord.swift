/// One image's result, as the extractor hands it to ``ShardWriter/append(_:)``.
///
/// A successful image has `status == .ok`, an empty `error`, `tokens.count == tokenIndex.count *
/// embedDim` (row-major rows), `globalEmbed.count == embedDim`, `attention.count == imageTokens` and as
/// many `tagProbs` as `tagIDs`. A failed image (any other status) has a non-empty `error`, no tokens and no
/// tags; its `globalEmbed` and `attention` are empty (stored as zeros). Build one with ``failed(path:label:status:error:)``.
public struct ShardRecord: Sendable, Equatable {
    /// The image path relative to its dataset root.
    public var path: String
    /// The class index, or -1 for OOD images.
    public var label: Int32
    /// ``ImageStatus/ok`` or why the image failed.
    public var status: ImageStatus
    /// The failure message ("" when ok).
    public var error: String
    /// The selected tokens, row-major `[tokenIndex.count, embedDim]`.
    public var tokens: [Float]
    /// Each selected token's position among the image tokens (0 = the pooled token).
    public var tokenIndex: [Int16]
    /// The pooled embedding, `embedDim` values.
    public var globalEmbed: [Float]
    /// The selected tag ids.
    public var tagIDs: [Int32]
    /// Their probabilities, one per tag id.
    public var tagProbs: [Float]
    /// The normalised attention map, `imageTokens` values.
    public var attention: [Float]
    /// Every tag's probability (`all_tags` values), for a shard that stores them; empty otherwise and for
    /// a failed image (stored as zeros).
    public var allTagProbs: [Float] = []

    /// A successful image.
    public init(
        path: String, label: Int32, tokens: [Float], tokenIndex: [Int16], globalEmbed: [Float],
        tagIDs: [Int32], tagProbs: [Float], attention: [Float], allTagProbs: [Float] = []
    ) {
        self.path = path
        self.label = label
        self.status = .ok
        self.error = ""
        self.tokens = tokens
        self.tokenIndex = tokenIndex
        self.globalEmbed = globalEmbed
        self.tagIDs = tagIDs
        self.tagProbs = tagProbs
        self.attention = attention
        self.allTagProbs = allTagProbs
    }

    /// An image that could not be processed: no tokens, no tags, zeros for its embedding and attention.
    public static func failed(path: String, label: Int32, status: ImageStatus, error: String) -> ShardRecord {
        var record = ShardRecord(
            path: path, label: label, tokens: [], tokenIndex: [], globalEmbed: [],
            tagIDs: [], tagProbs: [], attention: [])
        record.status = status
        record.error = error
        return record
    }

    /// The number of token rows.
    public var tokenCount: Int { tokenIndex.count }
}
