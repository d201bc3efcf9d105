/// One image read back from a shard: its row, its ``ShardRecord`` (floats widened to `Float` whatever the
/// stored dtype) and the shard's token width. Read the record's fields directly (`image.path`,
/// `image.tokens`).
///
/// A record read back differs from the one written only where the shard stores zeros: a failed image's
/// `globalEmbed` (`embedDim` values), `attention` (`imageTokens` values) and `allTagProbs`.
@dynamicMemberLookup
public struct ShardImage: Sendable, Equatable {
    /// The image's row in the shard (0-based).
    public var index: Int
    /// What the shard holds for the image.
    public var record: ShardRecord
    /// The width of a token row.
    public var embedDim: Int

    /// The record's fields, read through the image.
    public subscript<Value>(dynamicMember field: KeyPath<ShardRecord, Value>) -> Value { record[keyPath: field] }

    /// Token row `row` (0 ..< tokenCount).
    public func token(_ row: Int) -> ArraySlice<Float> {
        record.tokens[row * embedDim..<(row + 1) * embedDim]
    }
}
