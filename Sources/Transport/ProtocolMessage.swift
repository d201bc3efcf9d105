import Foundation

/// The coordinator ⇄ worker protocol, version ``ProtocolMessage/version``.
///
/// Every message travels as one ZeroMQ frame of JSON, `{"v": 1, "type": "<type>", "body": {…}}` (a
/// ROUTER adds the worker's identity frame in front). A receiver checks `v` before anything else and
/// refuses another version with a clear error, so mixed deployments fail at `hello`, not mid-job.
///
/// Flow: worker → `hello`; coordinator → `welcome` or `refused`; worker → `ready`; coordinator →
/// `assign` (or `idle` when nothing is pending yet, or `shutdown`); the busy worker → `heartbeat`s,
/// then `done` or `failed`, then `ready` again.
public enum ProtocolMessage: Sendable, Equatable {
    /// The protocol version this build speaks.
    public static let version = 1

    case hello(Hello)
    case welcome(Welcome)
    case refused(Refused)
    case ready
    case assign(Assign)
    case idle(Idle)
    case heartbeat(Heartbeat)
    case done(Done)
    case failed(Failed)
    case shutdown(Shutdown)

    /// The message type as it appears on the wire.
    public var type: String {
        switch self {
        case .hello: "hello"
        case .welcome: "welcome"
        case .refused: "refused"
        case .ready: "ready"
        case .assign: "assign"
        case .idle: "idle"
        case .heartbeat: "heartbeat"
        case .done: "done"
        case .failed: "failed"
        case .shutdown: "shutdown"
        }
    }
}

/// A shard's identity: its dataset and its index there.
public struct ShardID: Sendable, Hashable, Codable, CustomStringConvertible {
    public var dataset: String
    public var index: Int

    public init(dataset: String, index: Int) {
        self.dataset = dataset
        self.index = index
    }

    public var description: String { "\(dataset)/\(index)" }
}

/// A worker introduces itself.
public struct Hello: Sendable, Equatable, Codable {
    /// Unique for the worker's lifetime, e.g. `host:pid`.
    public var workerID: String
    public var host: String
    public var pid: Int32
    /// `cpu` or `gpu`.
    public var device: String
    /// The CPUs the worker pinned itself to (cpu workers), or the visible GPU ids.
    public var pinned: [Int]
    public var threads: Int
    /// The hash of the model weights the worker loaded.
    public var modelHash: String
    public var tagoodVersion: String

    public init(workerID: String, host: String, pid: Int32, device: String, pinned: [Int], threads: Int,
                modelHash: String, tagoodVersion: String) {
        self.workerID = workerID
        self.host = host
        self.pid = pid
        self.device = device
        self.pinned = pinned
        self.threads = threads
        self.modelHash = modelHash
        self.tagoodVersion = tagoodVersion
    }
}

/// The coordinator accepts a worker and tells it the job's settings.
public struct Welcome: Sendable, Equatable, Codable {
    public var jobID: String
    public var heartbeatSeconds: Double

    public init(jobID: String, heartbeatSeconds: Double) {
        self.jobID = jobID
        self.heartbeatSeconds = heartbeatSeconds
    }
}

/// The coordinator (or a worker) refuses the peer, saying why.
public struct Refused: Sendable, Equatable, Codable {
    public var reason: String
    public init(reason: String) { self.reason = reason }
}

/// One shard to extract (or, with ``task`` `reduce`, to reduce into its partial), attempt `attempt` (1-based).
public struct Assign: Sendable, Equatable, Codable {
    /// The kind of task an assignment can be.
    public enum Task: String, Sendable, Codable {
        /// Extract the shard's images into its HDF5 file (the default).
        case extract
        /// Reduce the committed shard into its partial file (`tagood reduce --cluster`).
        case reduce
    }

    public var shard: ShardID
    public var attempt: Int
    /// The first image and the image count (indices into the dataset's plan list).
    public var start: Int
    public var count: Int
    /// The shard's final path, relative to the job directory (the worker writes beside it).
    public var path: String
    /// The dataset's plan hash, stamped into the shard.
    public var datasetHash: String
    /// `id-train`, `id-val` or `ood`.
    public var role: String
    /// The dataset root and the shard's images (relative paths) and labels, so workers need not load
    /// the plan.
    public var root: String
    public var paths: [String]
    public var labels: [Int32]
    /// The kind of task; absent (nil) means ``Task/extract``, so version-1 peers that predate it agree.
    public var task: Task?
    /// For a reduce task: the committed shard file's XXH64, which names its partial.
    public var checksum: String?

    /// The kind of task, `extract` when the field is absent.
    public var kind: Task { task ?? .extract }

    public init(shard: ShardID, attempt: Int, start: Int, count: Int, path: String, datasetHash: String = "",
                role: String = "ood", root: String = "", paths: [String] = [], labels: [Int32] = [],
                task: Task? = nil, checksum: String? = nil) {
        self.shard = shard
        self.attempt = attempt
        self.start = start
        self.count = count
        self.path = path
        self.datasetHash = datasetHash
        self.role = role
        self.root = root
        self.paths = paths
        self.labels = labels
        self.task = task
        self.checksum = checksum
    }
}

/// Nothing to assign now; ask again after `seconds`.
public struct Idle: Sendable, Equatable, Codable {
    public var seconds: Double
    public init(seconds: Double) { self.seconds = seconds }
}

/// A busy worker's progress on its shard.
public struct Heartbeat: Sendable, Equatable, Codable {
    public var shard: ShardID
    public var attempt: Int
    public var imagesDone: Int

    public init(shard: ShardID, attempt: Int, imagesDone: Int) {
        self.shard = shard
        self.attempt = attempt
        self.imagesDone = imagesDone
    }
}

/// A shard is written (to a temporary file) and ready to be verified and committed.
public struct Done: Sendable, Equatable, Codable {
    public var shard: ShardID
    public var attempt: Int
    /// The temporary file, relative to the job directory.
    public var temporaryPath: String
    /// XXH64 of the file's bytes.
    public var checksum: String
    public var images: Int
    public var failedImages: Int
    public var tokens: Int
    public var seconds: Double

    public init(shard: ShardID, attempt: Int, temporaryPath: String, checksum: String, images: Int,
                failedImages: Int, tokens: Int, seconds: Double) {
        self.shard = shard
        self.attempt = attempt
        self.temporaryPath = temporaryPath
        self.checksum = checksum
        self.images = images
        self.failedImages = failedImages
        self.tokens = tokens
        self.seconds = seconds
    }
}

/// A shard could not be produced.
public struct Failed: Sendable, Equatable, Codable {
    public var shard: ShardID
    public var attempt: Int
    public var code: String
    public var message: String

    public init(shard: ShardID, attempt: Int, code: String, message: String) {
        self.shard = shard
        self.attempt = attempt
        self.code = code
        self.message = message
    }
}

/// Stop: the job is finished or cancelled.
public struct Shutdown: Sendable, Equatable, Codable {
    public var reason: String
    public init(reason: String) { self.reason = reason }
}
