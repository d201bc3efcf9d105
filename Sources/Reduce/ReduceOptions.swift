import TagoodSupport

/// How `tagood reduce` runs.
public struct ReduceOptions: Sendable {
    /// Worker threads for reading shards and for scoring (all cores by default).
    public var threads: Int
    /// k of the KNN score.
    public var knnK: Int
    /// Take the centers from another job directory (which must have been reduced: its
    /// `reduce/centers.bin`), or from a named in-distribution dataset of this job; nil: this job's
    /// `id-train` datasets.
    public var centersFrom: String?
    /// Verify every shard the reduce uses in full (its seal and the journal's file checksum, then its
    /// structure and content checksums), even one whose partial is cached. Without it, a shard is checked
    /// against its seal and the journal's file checksum only when it is read (its partial is missing).
    public var verify: Bool

    public init(
        threads: Int = ParallelFor.defaultThreads, knnK: Int = 50, centersFrom: String? = nil, verify: Bool = false
    ) {
        self.threads = threads
        self.knnK = knnK
        self.centersFrom = centersFrom
        self.verify = verify
    }
}
