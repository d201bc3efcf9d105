import Shards
import Synchronization

/// One shard attempt for a producer: which images, where to write, and the metadata to stamp.
public struct ShardWork: Sendable {
    /// The shard's metadata (job, dataset, dataset plan hash, index, role, model, thresholds).
    public var metadata: ShardMetadata
    public var attempt: Int
    /// The dataset root the paths are relative to.
    public var root: String
    public var paths: [String]
    public var labels: [Int32]
    /// Where the finished shard is committed (the writer renames its temporary file here).
    public var outputPath: String

    public init(metadata: ShardMetadata, attempt: Int, root: String, paths: [String], labels: [Int32], outputPath: String) {
        self.metadata = metadata
        self.attempt = attempt
        self.root = root
        self.paths = paths
        self.labels = labels
        self.outputPath = outputPath
    }
}

/// Turns a ``ShardWork`` into a committed shard file. Producers run on a thread the worker owns; they
/// report progress through the counter so the worker's socket thread can heartbeat.
public protocol ShardProducer: AnyObject, Sendable {
    /// The model's name for shard metadata, such as `swin_l_384`, or `decode-only`.
    var modelName: String { get }
    /// The hash of the model the producer uses (checked by the coordinator at `hello`).
    var modelHash: String { get }
    /// The width of the image embeddings (512 for RAM) and the number of image tokens (145 at 384 px).
    var embedDim: Int { get }
    var imageTokens: Int { get }
    /// Writes the shard. Checks `progress.isCancelled` between images and throws
    /// ``ProducerCancelled`` (after abandoning its file) when it is set.
    func produce(_ work: ShardWork, progress: ProgressCounter) throws -> ShardWriteSummary
}

/// Thrown by a producer that stopped because the worker was told to shut down.
public struct ProducerCancelled: Error {
    public init() {}
}

/// Images finished so far in the current shard; written by the producer, read by the heartbeat.
public final class ProgressCounter: Sendable {
    private let value = Atomic<Int>(0)
    private let cancelled = Atomic<Bool>(false)

    public init() {}

    public func reset() {
        value.store(0, ordering: .relaxed)
        cancelled.store(false, ordering: .relaxed)
    }
    /// Asks the producer to stop at the next image.
    public func cancel() { cancelled.store(true, ordering: .relaxed) }
    public var isCancelled: Bool { cancelled.load(ordering: .relaxed) }
    public func add(_ n: Int) { value.add(n, ordering: .relaxed) }
    public var current: Int { value.load(ordering: .relaxed) }
}
