/// One line of `journal.jsonl`: something that happened to the job or to one shard.
///
/// The journal is the coordinator's only memory. A coordinator killed at any moment is rebuilt from
/// `plan.json`, this file and the shard files; see ``JobState``.
public struct JournalRecord: Sendable, Equatable, Codable {
    public enum Event: String, Sendable, Codable {
        /// A coordinator started (or resumed) the job. Running leases from before are void.
        case started
        /// A shard attempt was leased to a worker.
        case assigned
        /// A shard attempt was verified and renamed into place; `checksum` is the committed file's.
        case committed
        /// A shard attempt failed (worker error); the shard goes back to the queue.
        case failed
        /// A lease expired (missed heartbeats); the shard goes back to the queue.
        case expired
        /// A running attempt was abandoned at shutdown.
        case abandoned
        /// The shard used up its attempts and is failed for good (until `resume`).
        case gaveUp = "gave-up"
        /// `resume` found the committed file missing or corrupt; the shard goes back to the queue.
        case invalid
        /// Every shard is committed.
        case finished
        /// A worker said hello and was welcomed: `worker`, `host` and `device` (`cpu`, or its GPU), for
        /// `tagood status`.
        case joined
    }

    /// The `failed` code of an attempt that could not write its result because the disk (or the quota) is
    /// full: the attempt is not charged to the shard (``JobState``), and the coordinator pauses assigning.
    public static let diskFullCode = "disk.full"

    /// The `failed` code of an attempt whose result the coordinator could not verify for lack of its own
    /// file descriptors or memory: like ``diskFullCode``, not charged to the shard, and the coordinator
    /// pauses assigning.
    public static let resourcesCode = "coordinator.resources"

    /// Whether a `failed` record with `code` leaves the attempt uncharged (a full disk, the
    /// coordinator's own lack of resources).
    public static func isUncharged(code: String?) -> Bool { code == diskFullCode || code == resourcesCode }

    public var event: Event
    /// Seconds since 1970.
    public var time: Double
    public var shard: ShardID?
    public var attempt: Int?
    public var worker: String?
    /// On `started`: the whole plan's hash (`plan.json`'s `plan_hash`), not a dataset's.
    public var planHash: String?
    public var resume: Bool?
    public var checksum: String?
    public var images: Int?
    public var failedImages: Int?
    public var tokens: Int?
    public var seconds: Double?
    public var code: String?
    public var message: String?
    /// On `joined`: the worker's host and device.
    public var host: String?
    public var device: String?

    public init(
        _ event: Event, time: Double, shard: ShardID? = nil, attempt: Int? = nil, worker: String? = nil,
        planHash: String? = nil, resume: Bool? = nil, checksum: String? = nil, images: Int? = nil,
        failedImages: Int? = nil, tokens: Int? = nil, seconds: Double? = nil, code: String? = nil,
        message: String? = nil, host: String? = nil, device: String? = nil
    ) {
        self.event = event
        self.time = time
        self.shard = shard
        self.attempt = attempt
        self.worker = worker
        self.planHash = planHash
        self.resume = resume
        self.checksum = checksum
        self.images = images
        self.failedImages = failedImages
        self.tokens = tokens
        self.seconds = seconds
        self.code = code
        self.message = message
        self.host = host
        self.device = device
    }
}
