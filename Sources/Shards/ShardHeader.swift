/// Everything a shard's root attributes say, as read back by ``ShardReader/header()``.
public struct ShardHeader: Sendable, Equatable {
    /// `schema_version`.
    public var schemaVersion: Int
    /// The descriptive attributes.
    public var metadata: ShardMetadata
    /// `token_dtype`.
    public var tokenDType: TokenDType
    /// `content_checksum` (nil when the writer never committed).
    public var contentChecksum: String?
    /// Whether `complete` is 1.
    public var isComplete: Bool
}
