/// What ``ShardWriter/commit()`` wrote.
public struct ShardWriteSummary: Sendable, Equatable {
    /// The committed shard's path.
    public var path: String
    /// Images written (ok + failed).
    public var images: Int
    /// Images with status ok.
    public var okImages: Int
    /// Images with another status.
    public var failedImages: Int
    /// Token rows written.
    public var tokens: Int
    /// Tags written.
    public var tags: Int
    /// The `content_checksum` attribute (see ``ContentChecksum``).
    public var contentChecksum: String
    /// The file checksum the journal records (``ShardFile/checksum(path:)``): the seal's body hash.
    public var fileChecksum: String
    /// The committed file's size in bytes.
    public var fileBytes: Int
}
