import Datasets
import Job
import TagoodSupport

/// The coordinator ⇄ worker protocol, version ``ProtocolMessage/version``.
///
/// Every message travels as one ZeroMQ frame of JSON, `{"v": 2, "type": "<type>", "body": {…}}` (a
/// ROUTER adds the worker's identity frame in front). A receiver checks `v` before anything else and
/// refuses another version with a clear error, so mixed deployments fail at `hello`, not mid-job.
///
/// Flow: worker → `hello`; coordinator → `welcome` or `refused`; worker → `ready`; coordinator →
/// `assign` (or `idle` when nothing is pending yet, or `shutdown`); the busy worker → `heartbeat`s,
/// then `done` or `failed`, then `ready` again.
public enum ProtocolMessage: Sendable, Equatable {
    /// The protocol version this build speaks.
    public static let version = 2

    /// The largest message the coordinator takes from a worker (`ZMQ_MAXMSGSIZE` on its socket; a larger
    /// one disconnects the peer before it is buffered). A worker's messages are hundreds of bytes; its
    /// error messages are cut to one line of 400 characters.
    public static let maxWorkerMessageBytes = 1 << 20

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

// The message bodies, one type per message that carries one; they are named in `ProtocolMessage`'s cases.
extension ProtocolMessage {
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

        public init(
            workerID: String, host: String, pid: Int32, device: String, pinned: [Int], threads: Int,
            modelHash: String, tagoodVersion: String
        ) {
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
        /// True when the coordinator does not know the worker (it presumed it dead when its lease expired
        /// during a partition, or it is a new coordinator): the worker says `hello` again and carries on.
        /// Absent (nil) in every other refusal, and in messages of earlier builds.
        public var rejoin: Bool?
        public init(reason: String, rejoin: Bool? = nil) {
            self.reason = reason
            self.rejoin = rejoin
        }
    }

    /// One attempt of one task: shard `shard`, attempt `attempt` (1-based, never reused), and what to do.
    ///
    /// Nothing in it is a path: the worker derives its output file from the shard, the attempt and its own
    /// worker id (``JobDirectory/stagingFile(_:attempt:worker:)``) under its own mount of the job directory,
    /// and the coordinator derives the same name from the lease.
    public struct Assign: Sendable, Equatable, Codable {
        public var shard: ShardID
        public var attempt: Int
        /// The task kind and its inputs.
        public var task: TaskAssignment

        public init(shard: ShardID, attempt: Int, task: TaskAssignment) {
            self.shard = shard
            self.attempt = attempt
            self.task = task
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

    /// An attempt's result is written (to the file its assignment names) and ready to be verified and
    /// committed.
    public struct Done: Sendable, Equatable, Codable {
        public var shard: ShardID
        public var attempt: Int
        /// The checksum that identifies the result, which the journal's `committed` record keeps: for an
        /// extraction, the staged shard's file checksum (the seal's body hash, XXH3-64 since seal 2); for a
        /// reduce task, the checksum of the shard the partial was made from, which names the partial file
        /// (``JobDirectory/partialFile(_:)``). On the wire: `checksum`.
        public var resultChecksum: String
        public var images: Int
        public var failedImages: Int
        public var tokens: Int
        public var seconds: Double

        enum CodingKeys: String, CodingKey {
            case shard, attempt, resultChecksum = "checksum", images, failedImages, tokens, seconds
        }

        public init(
            shard: ShardID, attempt: Int, resultChecksum: String, images: Int, failedImages: Int, tokens: Int,
            seconds: Double
        ) {
            self.shard = shard
            self.attempt = attempt
            self.resultChecksum = resultChecksum
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
}
