import Shards
import TagoodSupport

/// One shard attempt for a producer: which images, where to write, and the metadata to stamp.
public struct ShardWork: Sendable {
    /// The shard's metadata (job, dataset, dataset plan hash, index, role, model, thresholds).
    public var metadata: ShardMetadata
    public var attempt: Int
    /// The dataset root the paths are relative to.
    public var root: String
    public var paths: [String]
    public var labels: [Int32]
    /// Where the shard goes.
    public var output: Output

    /// Where a producer writes the shard.
    public enum Output: Sendable, Equatable {
        /// Committed atomically at this path (a temporary file beside it, renamed over it): `tagood extract`.
        case file(String)
        /// Written once to this staging file of a cluster attempt and left there for the coordinator, which
        /// verifies it and renames it into the shard's place.
        case staging(String)
    }

    public init(metadata: ShardMetadata, attempt: Int, root: String, paths: [String], labels: [Int32], output: Output) {
        self.metadata = metadata
        self.attempt = attempt
        self.root = root
        self.paths = paths
        self.labels = labels
        self.output = output
    }

    /// A writer for this work's output.
    public func makeWriter(options: ShardWriter.Options) throws(ShardError) -> ShardWriter {
        switch output {
        case .file(let path): try ShardWriter(path: path, metadata: metadata, options: options)
        case .staging(let path): try ShardWriter(stagingPath: path, metadata: metadata, options: options)
        }
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
    /// The number of tags whose probabilities it stores for every image (the shard's `all_tags`), or nil
    /// when it stores only the selected tags'.
    var allTags: Int? { get }
    /// Where it computes: the backend's device (`cpu`, `cuda:0 NVIDIA H100 …`), or nil.
    var device: String? { get }
    /// Writes the shard. Checks `progress.isCancelled` between images and throws
    /// ``ProducerCancelled`` (after abandoning its file) when it is set.
    func produce(_ work: ShardWork, progress: ProgressCounter) throws -> ShardWriteSummary
}

extension ShardProducer {
    public var allTags: Int? { nil }
    public var device: String? { nil }
}

/// Thrown by a producer that stopped because the worker was told to shut down.
public struct ProducerCancelled: Error {
    public init() {}
}
