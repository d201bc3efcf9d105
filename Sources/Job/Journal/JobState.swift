/// Every shard's state, rebuilt by replaying the journal over the plan.
public struct JobState: Sendable, Equatable {
    /// Where one shard stands.
    public enum Status: Sendable, Equatable {
        case pending
        /// Leased to `worker` as `attempt`, since `since` (seconds since 1970).
        case running(attempt: Int, worker: String, since: Double)
        /// Verified and in place; `checksum` is the file checksum (the seal's body hash, XXH3-64 since seal 2).
        case committed(checksum: String)
        /// Out of attempts; `resume` retries it.
        case failed(code: String, message: String)
    }

    public struct Shard: Sendable, Equatable {
        public var status: Status = .pending
        /// The highest attempt number ever leased (attempt numbers never repeat, even across coordinators).
        public var lastAttempt = 0
        /// Attempts used since the shard was last (re)queued by `resume`; compared with `max_attempts`.
        public var attemptsUsed = 0
        public var lastError: (code: String, message: String)? {
            get { lastErrorCode.map { ($0, lastErrorMessage ?? "") } }
            set { lastErrorCode = newValue?.code; lastErrorMessage = newValue?.message }
        }
        var lastErrorCode: String?
        var lastErrorMessage: String?
        /// Images, failed images and tokens of the committed file.
        public var images = 0
        public var failedImages = 0
        public var tokens = 0
        public var seconds = 0.0
        public var committedAt: Double?
    }

    public private(set) var shards: [ShardID: Shard]
    /// The order shards are handed out in: the plan's order.
    public let order: [ShardID]
    /// Times of the first `started` record and of each commit, for rates and ETAs.
    public private(set) var startedAt: Double?
    public private(set) var finished = false

    /// The initial state: every shard of `order` pending.
    public init(shards order: [ShardID]) {
        self.order = order
        var shards: [ShardID: Shard] = [:]
        for id in order { shards[id] = Shard() }
        self.shards = shards
    }

    /// Replays `records` over the shards of `order`. Records for shards the plan does not have are ignored.
    public init(shards order: [ShardID], replaying records: [JournalRecord]) {
        self.init(shards: order)
        for record in records { apply(record) }
    }

    /// Applies one record (the coordinator calls this for every record it appends).
    public mutating func apply(_ r: JournalRecord) {
        if r.event == .started {
            startedAt = startedAt ?? r.time
            finished = false
            for id in order {
                guard var s = shards[id] else { continue }
                if case .running = s.status { s.status = .pending } // leases of a dead coordinator are void
                if r.resume == true {
                    // `resume` gives every unfinished shard a fresh budget: the failed ones, and pending
                    // ones whose last attempt was used up before a `gave-up` record could be written.
                    switch s.status {
                    case .failed, .pending: s.status = .pending; s.attemptsUsed = 0
                    case .running, .committed: break
                    }
                }
                shards[id] = s
            }
            return
        }
        if r.event == .finished { finished = true; return }
        guard let id = r.shard, var s = shards[id] else { return }
        switch r.event {
        case .assigned:
            let attempt = r.attempt ?? s.lastAttempt + 1
            s.lastAttempt = max(s.lastAttempt, attempt)
            s.attemptsUsed += 1
            s.status = .running(attempt: attempt, worker: r.worker ?? "?", since: r.time)
        case .committed:
            s.status = .committed(checksum: r.checksum ?? "")
            s.images = r.images ?? 0
            s.failedImages = r.failedImages ?? 0
            s.tokens = r.tokens ?? 0
            s.seconds = r.seconds ?? 0
            s.committedAt = r.time
        case .failed, .expired, .abandoned, .invalid:
            // A shutdown, a full disk or the coordinator's own lack of resources is not the shard's fault:
            // the attempt is not charged.
            if r.event == .abandoned || JournalRecord.isUncharged(code: r.code) {
                s.attemptsUsed = max(0, s.attemptsUsed - 1)
            }
            if r.event == .invalid { s.attemptsUsed = 0 }
            s.status = .pending
            if let code = r.code { s.lastError = (code, r.message ?? "") }
        case .gaveUp:
            s.status = .failed(code: r.code ?? "shard.failed", message: r.message ?? "")
        case .started, .finished, .joined:
            break
        }
        shards[id] = s
    }

    /// Shards in plan order with the given kind of status.
    public var pending: [ShardID] { order.filter { if case .pending = shards[$0]!.status { true } else { false } } }
    public var running: [ShardID] { order.filter { if case .running = shards[$0]!.status { true } else { false } } }
    public var committed: [ShardID] { order.filter { if case .committed = shards[$0]!.status { true } else { false } } }
    public var failed: [ShardID] { order.filter { if case .failed = shards[$0]!.status { true } else { false } } }

    /// Whether every shard is committed.
    public var isComplete: Bool { order.allSatisfy { if case .committed = shards[$0]!.status { true } else { false } } }
}
