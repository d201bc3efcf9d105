import Datasets
import TagoodSupport
import Transport
#if canImport(Glibc)
import Glibc
#endif

/// The job's coordinator: hands tasks (shards to extract, or partials to reduce) to workers over a
/// ZeroMQ ROUTER socket, holds their leases, has their results verified and committed, and journals
/// every step. What a task is and how its result is checked is its ``CoordinatorTasks``'s.
///
/// Exactly-once: a worker writes its attempt to a private temporary file; only the coordinator renames
/// a file into a shard's final place, only for the attempt it currently leases, and only after the
/// file verified (schema, counts, content checksum, the checksum the worker reported). A late result of
/// an expired attempt is discarded and its file deleted.
///
/// `run()` blocks the calling thread, which must be a dedicated thread (the main thread of `tagood
/// launch` / `resume`), never the Swift concurrency pool.
public final class Coordinator {
    public struct Settings: Sendable {
        public var jobID: String
        public var heartbeatSeconds: Double
        /// Missed heartbeats before a lease expires.
        public var liveness: Int
        public var maxAttempts: Int
        public var graceSeconds: Double
        /// Workers whose model hash differs are refused; nil accepts any.
        public var expectedModelHash: String?
        /// Whether this run is a `resume` (failed shards get a fresh attempt budget).
        public var resume: Bool

        public init(jobID: String, heartbeatSeconds: Double, liveness: Int, maxAttempts: Int, graceSeconds: Double,
                    expectedModelHash: String?, resume: Bool) {
            self.jobID = jobID
            self.heartbeatSeconds = heartbeatSeconds
            self.liveness = liveness
            self.maxAttempts = maxAttempts
            self.graceSeconds = graceSeconds
            self.expectedModelHash = expectedModelHash
            self.resume = resume
        }
    }

    /// How a run ended.
    public enum Outcome: Sendable, Equatable {
        /// Every shard is committed.
        case complete
        /// Some shards failed for good; the rest are committed.
        case shardsFailed([ShardID])
        /// Stopped by SIGINT/SIGTERM; the journal is consistent and `resume` continues.
        case interrupted
    }

    struct Lease {
        var attempt: Int
        var worker: [UInt8]
        var lastBeat: Double
        var imagesDone: Int
    }

    struct WorkerInfo {
        var hello: Hello
        var lastSeen: Double
    }

    public let directory: JobDirectory
    public let plan: ShardPlan
    public let settings: Settings
    public private(set) var state: JobState
    private let journal: Journal
    private let socket: ZMQSocket
    private var sink: EventSink

    /// Receives the coordinator's events (progress display, the launcher's housekeeping).
    public struct EventSink {
        let handle: (CoordinatorEvent) -> Void
        public init(_ handle: @escaping (CoordinatorEvent) -> Void) { self.handle = handle }
    }

    /// Replaces the event receiver.
    public func setEventSink(_ sink: EventSink) { self.sink = sink }

    private func onEvent(_ event: CoordinatorEvent) { sink.handle(event) }
    private var leases: [ShardID: Lease] = [:]
    /// Replies waiting for the journal records they depend on to be durable (group commit).
    private var outbox: [(identity: [UInt8], message: ProtocolMessage)] = []
    private var journalDirty = false
    /// Shard folders with renames not yet made durable (synced once per flush, before the journal).
    private var dirtyFolders = Set<String>()
    private var workers: [[UInt8]: WorkerInfo] = [:]
    /// What is handed out and how results are accepted.
    public let tasks: any CoordinatorTasks

    /// Prepares the extraction coordinator of `plan` on a bound ROUTER socket, journaling to
    /// `journal.jsonl`. The journal's records are replayed first.
    public convenience init(directory: JobDirectory, plan: ShardPlan, settings: Settings, socket: ZMQSocket,
                            onEvent: @escaping (CoordinatorEvent) -> Void) throws {
        try self.init(directory: directory, plan: plan, tasks: ExtractionTasks(directory: directory, plan: plan),
                      journalPath: directory.journalFile, settings: settings, socket: socket, onEvent: onEvent)
    }

    /// Prepares a coordinator of `tasks` on a bound ROUTER socket, journaling to `journalPath`. The
    /// journal's records are replayed first.
    public init(directory: JobDirectory, plan: ShardPlan, tasks: any CoordinatorTasks, journalPath: String,
                settings: Settings, socket: ZMQSocket, onEvent: @escaping (CoordinatorEvent) -> Void) throws {
        self.directory = directory
        self.plan = plan
        self.tasks = tasks
        self.settings = settings
        self.socket = socket
        self.sink = EventSink(onEvent)
        state = JobState(shards: tasks.order, replaying: try Journal.read(path: journalPath))
        journal = try Journal(path: journalPath)
    }

    /// Appends a record (made durable by the next ``flush()``, before any reply is sent).
    private func record(_ r: JournalRecord) throws {
        try journal.append(r, sync: false)
        journalDirty = true
        state.apply(r)
    }

    /// Group commit: the renamed shards' folders are synced, then one fsync for every journal record since
    /// the last flush, then the replies that depend on them are sent.
    private func flush() throws {
        for folder in dirtyFolders { try AtomicFile.syncDirectory(containing: folder + "/.") }
        dirtyFolders.removeAll(keepingCapacity: true)
        if journalDirty {
            try journal.sync()
            journalDirty = false
        }
        for (identity, message) in outbox {
            // A worker that vanished cannot be routed to (ROUTER_MANDATORY): that is not the job's failure.
            try? socket.send([identity, message.encoded()])
        }
        outbox.removeAll(keepingCapacity: true)
    }

    /// Runs until every shard is committed or failed for good, or until a signal stops it.
    public func run() throws -> Outcome {
        try record(JournalRecord(.started, time: wallSeconds(), planHash: plan.hash, resume: settings.resume))
        var stopDeadline: Double? = nil
        var lastTick = 0.0
        let pollMilliseconds = max(10, min(100, Int(settings.heartbeatSeconds * 250)))
        var outcome: Outcome = .complete

        loop: while true {
            let now = monotonicSeconds()
            let signals = SignalMonitor.received
            if signals >= 1 && stopDeadline == nil {
                stopDeadline = now + settings.graceSeconds
                onEvent(.stopping(graceSeconds: settings.graceSeconds))
            }
            if let deadline = stopDeadline, signals >= 2 || now >= deadline || leases.isEmpty {
                try abandonAll()
                try flush()
                outcome = .interrupted
                break loop
            }
            if stopDeadline == nil && leases.isEmpty && nextShard() == nil {
                let failed = state.failed
                outcome = failed.isEmpty ? .complete : .shardsFailed(failed)
                if failed.isEmpty { try record(JournalRecord(.finished, time: wallSeconds())) }
                try flush()
                break loop
            }
            // Handle every message that is waiting (up to a bound), then commit the journal once.
            var timeout = pollMilliseconds
            for _ in 0..<256 {
                guard let frames = try socket.receive(timeoutMilliseconds: timeout) else { break }
                if frames.count == 2 { try handle(frames[1], from: frames[0], stopping: stopDeadline != nil) }
                timeout = 0
            }
            try expireLeases(now: monotonicSeconds())
            try flush()
            if now - lastTick >= 0.25 {
                lastTick = now
                onEvent(.tick(state, running: leases.mapValues(\.imagesDone)))
            }
        }
        onEvent(.tick(state, running: [:]))
        shutdownWorkers(reason: outcome == .interrupted ? "the job was interrupted" : "the job is finished")
        try flush()
        return outcome
    }

    // MARK: messages

    private func handle(_ frame: [UInt8], from identity: [UInt8], stopping: Bool) throws {
        let message: ProtocolMessage
        do {
            message = try ProtocolMessage(decoding: frame)
        } catch {
            let worker = String(decoding: identity, as: UTF8.self)
            onEvent(.workerRefused(worker: worker, reason: error.description))
            reply(identity, .refused(Refused(reason: "coordinator: \(error.description)")))
            return
        }
        let now = monotonicSeconds()
        workers[identity]?.lastSeen = now
        switch message {
        case .hello(let hello):
            if let expected = settings.expectedModelHash, hello.modelHash != expected {
                let reason = "worker \(hello.workerID) loaded model \(hello.modelHash), but this job uses model \(expected): start workers with the job's weights"
                onEvent(.workerRefused(worker: hello.workerID, reason: reason))
                reply(identity, .refused(Refused(reason: reason)))
                return
            }
            workers[identity] = WorkerInfo(hello: hello, lastSeen: now)
            onEvent(.workerJoined(hello))
            reply(identity, .welcome(Welcome(jobID: settings.jobID, heartbeatSeconds: settings.heartbeatSeconds)))
        case .ready:
            guard workers[identity] != nil else {
                reply(identity, .refused(Refused(reason: "unknown worker: send hello first (was the coordinator restarted?)")))
                return
            }
            if stopping {
                reply(identity, .shutdown(Shutdown(reason: "the coordinator is stopping")))
            } else if let next = nextShard() {
                try assign(next, to: identity, now: now)
            } else if !leases.isEmpty {
                reply(identity, .idle(Idle(seconds: min(1, settings.heartbeatSeconds))))
            } else {
                reply(identity, .shutdown(Shutdown(reason: "the job is finished")))
            }
        case .heartbeat(let beat):
            if var lease = leases[beat.shard], lease.attempt == beat.attempt, lease.worker == identity {
                lease.lastBeat = now
                lease.imagesDone = beat.imagesDone
                leases[beat.shard] = lease
            }
        case .done(let done):
            try finish(done, from: identity)
        case .failed(let failed):
            guard let lease = leases[failed.shard], lease.attempt == failed.attempt, lease.worker == identity else {
                onEvent(.staleResultDiscarded(failed.shard, attempt: failed.attempt, worker: workerName(identity)))
                return
            }
            leases[failed.shard] = nil
            try record(JournalRecord(.failed, time: wallSeconds(), shard: failed.shard, attempt: failed.attempt,
                                     worker: workerName(identity), code: failed.code, message: failed.message))
            onEvent(.attemptFailed(failed.shard, attempt: failed.attempt, code: failed.code, message: failed.message))
            try giveUpIfExhausted(failed.shard, code: failed.code, message: failed.message)
        case .welcome, .refused, .assign, .idle, .shutdown:
            reply(identity, .refused(Refused(reason: "coordinator: unexpected '\(message.type)' from a worker")))
        }
    }

    /// The first pending shard in plan order that still has attempts left.
    private func nextShard() -> ShardID? {
        state.order.first { id in
            guard let s = state.shards[id], case .pending = s.status else { return false }
            return s.attemptsUsed < settings.maxAttempts
        }
    }

    private func assign(_ id: ShardID, to identity: [UInt8], now: Double) throws {
        let attempt = state.shards[id]!.lastAttempt + 1
        guard let assignment = tasks.assignment(for: id, attempt: attempt) else { return }
        try record(JournalRecord(.assigned, time: wallSeconds(), shard: id, attempt: attempt, worker: workerName(identity)))
        leases[id] = Lease(attempt: attempt, worker: identity, lastBeat: now, imagesDone: 0)
        onEvent(.assigned(id, attempt: attempt, worker: workerName(identity)))
        reply(identity, .assign(assignment))
    }

    private func finish(_ done: Done, from identity: [UInt8]) throws {
        guard let lease = leases[done.shard], lease.attempt == done.attempt, lease.worker == identity else {
            // A late result of an expired or voided attempt: never commit it.
            tasks.discard(done)
            onEvent(.staleResultDiscarded(done.shard, attempt: done.attempt, worker: workerName(identity)))
            return
        }
        leases[done.shard] = nil
        do {
            if let folder = try tasks.accept(done) { dirtyFolders.insert(folder) }
        } catch {
            let code = (error as? TagoodError)?.code ?? "shard.verify"
            let message = "the result of attempt \(done.attempt) did not verify: \(error)"
            try record(JournalRecord(.failed, time: wallSeconds(), shard: done.shard, attempt: done.attempt,
                                     worker: workerName(identity), code: code, message: message))
            onEvent(.attemptFailed(done.shard, attempt: done.attempt, code: code, message: message))
            try giveUpIfExhausted(done.shard, code: code, message: message)
            return
        }
        try record(JournalRecord(.committed, time: wallSeconds(), shard: done.shard, attempt: done.attempt,
                                 worker: workerName(identity), checksum: done.checksum, images: done.images,
                                 failedImages: done.failedImages, tokens: done.tokens, seconds: done.seconds))
        onEvent(.committed(done.shard, attempt: done.attempt, images: done.images, failedImages: done.failedImages, tokens: done.tokens))
    }

    private func expireLeases(now: Double) throws {
        let limit = settings.heartbeatSeconds * Double(settings.liveness)
        for (id, lease) in leases where now - lease.lastBeat > limit {
            leases[id] = nil
            let worker = workerName(lease.worker)
            workers[lease.worker] = nil  // presumed dead: a late message from it is treated as stale
            let message = "worker \(worker) missed \(settings.liveness) heartbeats (\(limit) s) on attempt \(lease.attempt)"
            try record(JournalRecord(.expired, time: wallSeconds(), shard: id, attempt: lease.attempt, worker: worker,
                                     code: "lease.expired", message: message))
            onEvent(.leaseExpired(id, attempt: lease.attempt, worker: worker))
            try giveUpIfExhausted(id, code: "lease.expired", message: message)
        }
    }

    private func giveUpIfExhausted(_ id: ShardID, code: String, message: String) throws {
        guard let s = state.shards[id], case .pending = s.status, s.attemptsUsed >= settings.maxAttempts else { return }
        let final = "failed \(s.attemptsUsed) attempts; last error: \(message)"
        try record(JournalRecord(.gaveUp, time: wallSeconds(), shard: id, attempt: s.lastAttempt, code: code, message: final))
        onEvent(.gaveUp(id, code: code, message: final))
    }

    private func abandonAll() throws {
        for (id, lease) in leases {
            try record(JournalRecord(.abandoned, time: wallSeconds(), shard: id, attempt: lease.attempt,
                                     worker: workerName(lease.worker), code: "shutdown", message: "abandoned at shutdown"))
            onEvent(.abandoned(id, attempt: lease.attempt))
        }
        leases.removeAll()
        tasks.removeLeftovers()
    }

    private func shutdownWorkers(reason: String) {
        for identity in workers.keys { reply(identity, .shutdown(Shutdown(reason: reason))) }
    }

    private func reply(_ identity: [UInt8], _ message: ProtocolMessage) {
        outbox.append((identity, message))
    }

    private func workerName(_ identity: [UInt8]) -> String {
        workers[identity]?.hello.workerID ?? String(decoding: identity, as: UTF8.self)
    }
}
