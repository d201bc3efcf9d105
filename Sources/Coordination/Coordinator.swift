import Job
import TagoodSupport
import Transport

/// The coordinator's logic as a state machine: it hands tasks (shards to extract, or partials to
/// reduce) to workers, holds their leases, has their results verified and committed by its ``TaskSet``,
/// and journals every step. It owns no socket, no thread and no clock: ``CoordinatorServer`` feeds it
/// the messages that arrive and sends the replies it queues, and time comes from an injected
/// ``TimeSource``. Tests drive it message by message with a clock they move by hand.
///
/// **Exactly-once.** A worker writes an attempt's result to the staging name of (shard, attempt,
/// worker); only the coordinator renames it into the shard's place, only for the attempt the journal says
/// is running and only from the worker that holds it, and only after the file verified. A late result of
/// an expired or voided attempt is discarded and its staging file deleted.
///
/// **Durability.** Every state change is a journal record, applied to ``state`` at once and made durable
/// by ``flush()`` (folders of renamed files first, then one `fsync` of the journal), which returns the
/// replies that waited for it (group commit): no worker hears of a decision before it is on disk.
///
/// **Liveness.** A pending shard is assignable while it has attempts left; a shard whose last attempt
/// failed gets a `gave-up` record at once, and ``start()`` gives up shards a killed coordinator left
/// without one. A run ends ``Outcome/complete`` only when every task is committed.
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
        /// Whether this run is a `resume` (unfinished shards get a fresh attempt budget).
        public var resume: Bool
        /// The plan hash the `started` record carries.
        public var planHash: String?
        /// How many workers may be connected at once (`max_workers`); a `hello` beyond it is refused once
        /// the silent ones are forgotten.
        public var maxWorkers: Int
        /// A lease's ceiling, whatever its heartbeats: an attempt whose images done have not grown for this
        /// long is expired (`lease.stalled`; `stall_seconds`).
        public var stallSeconds: Double
        /// An attempt that has run longer than this many times the median of the run's committed attempts
        /// (once there are ``overdueSamples``), and longer than ``stallSeconds``, is expired
        /// (`lease.overdue`; `overdue_factor`).
        public var overdueFactor: Double
        /// How many committed attempts the median needs before ``overdueFactor`` applies.
        public static let overdueSamples = 3

        /// Settings given one by one; a coordinator of a cluster run takes them from its cluster.yaml with
        /// ``init(cluster:jobID:expectedModelHash:resume:planHash:)``. `maxWorkers` has no default, so that
        /// no caller drops the limit by leaving it out.
        public init(
            jobID: String, heartbeatSeconds: Double, liveness: Int, maxAttempts: Int, graceSeconds: Double,
            expectedModelHash: String?, resume: Bool, planHash: String? = nil, maxWorkers: Int,
            stallSeconds: Double = 600, overdueFactor: Double = 10
        ) {
            self.maxWorkers = maxWorkers
            self.stallSeconds = stallSeconds
            self.overdueFactor = overdueFactor
            self.jobID = jobID
            self.heartbeatSeconds = heartbeatSeconds
            self.liveness = liveness
            self.maxAttempts = maxAttempts
            self.graceSeconds = graceSeconds
            self.expectedModelHash = expectedModelHash
            self.resume = resume
            self.planHash = planHash
        }

        /// Seconds without a heartbeat after which a lease expires.
        public var leaseSeconds: Double { heartbeatSeconds * Double(liveness) }
    }

    /// How a run ended.
    public enum Outcome: Sendable, Equatable {
        /// Every task is committed.
        case complete
        /// These tasks failed for good; the rest are committed.
        case shardsFailed([ShardID])
        /// Stopped by a stop request; the journal is consistent and a resume continues.
        case interrupted
    }

    /// A worker's routing identity on the coordinator's socket.
    public typealias Peer = [UInt8]

    /// What the coordinator knows of a running attempt beyond the journal: who holds it and when it was
    /// last heard of. The attempt itself is the journal's (``JobState/Status/running(attempt:worker:since:)``).
    struct Liveness {
        var peer: Peer
        var lastBeat: Double
        var imagesDone: Int
        /// When the attempt was assigned, and when its images done last grew (monotonic seconds).
        var started: Double
        var lastProgress: Double
    }

    public let settings: Settings
    public let tasks: any TaskSet
    /// Every task's state, the journal replayed and every record since applied.
    public private(set) var state: JobState
    private let journal: Journal
    private let time: any TimeSource
    private var liveness: [ShardID: Liveness] = [:]
    private var workers: [Peer: ProtocolMessage.Hello] = [:]
    /// The connection each known worker said `hello` on (the `User-Id` its CURVE handshake was given):
    /// a message with the same routing id from another connection is a stranger's.
    private var connections: [Peer: String?] = [:]
    /// How long the run's committed attempts took, sorted (for ``Settings/overdueFactor``).
    private var attemptSeconds: [Double] = []
    /// Log lines about strays (messages from unknown peers, late results, refused hellos), rate-limited.
    private var strays = StrayLimiter()
    /// When each known worker was last heard from (monotonic seconds).
    private var lastHeard: [Peer: Double] = [:]
    /// Workers already told off for asking for a second shard (said once each).
    private var hoarders = Set<Peer>()
    private var outbox: [(peer: Peer, message: ProtocolMessage)] = []
    private var journalDirty = false
    private var dirtyFolders = Set<String>()
    private var stopDeadline: Double?
    private var stopNow = false
    /// While the disk is full: no assignment before this time; the back-off doubles up to a minute.
    private var pausedUntil = -Double.infinity
    private var pauseBackoff: Double?
    /// Receives what happens (progress display, the launcher's housekeeping).
    public var onEvent: (CoordinatorEvent) -> Void = { _ in }

    /// A coordinator of `tasks` journaling to `journal`, whose records are replayed first.
    public init(tasks: any TaskSet, journal: Journal, settings: Settings, time: any TimeSource = SystemTime()) throws {
        self.tasks = tasks
        self.journal = journal
        self.settings = settings
        self.time = time
        state = JobState(shards: tasks.order, replaying: try Journal.read(path: journal.path))
    }

    // MARK: the run

    /// Journals the start of a run (voiding the leases of any earlier coordinator) and gives up the
    /// shards an earlier run left with their attempts used up but no `gave-up` record.
    public func start() throws {
        try record(JournalRecord(.started, time: time.wall(), planHash: settings.planHash, resume: settings.resume))
        for id in state.pending where state.shards[id]!.attemptsUsed >= settings.maxAttempts {
            let s = state.shards[id]!
            try giveUpIfExhausted(
                id, code: s.lastError?.code ?? "shard.failed", message: s.lastError?.message ?? "no attempt left")
        }
    }

    /// Whether nothing is left to hand out or wait for (a pause for a full disk does not count).
    public var isDrained: Bool { liveness.isEmpty && nextShard(ignoringPause: true) == nil }

    /// Whether a stop was requested.
    public var isStopping: Bool { stopDeadline != nil }

    /// Stops handing out work: running attempts may finish within the grace period (or not at all with
    /// `immediately`), then ``finishIfDone()`` abandons the rest.
    public func requestStop(immediately: Bool = false) {
        if stopDeadline == nil {
            stopDeadline = time.monotonic() + settings.graceSeconds
            onEvent(.stopping(graceSeconds: settings.graceSeconds))
        }
        if immediately { stopNow = true }
    }

    /// Expires leases whose worker stopped heartbeating, then ends the run when it is over: every task
    /// committed or given up, or a stop requested and its grace period over (or no attempt running).
    /// Returns the outcome once the run is over (then it journals `finished` or the abandoned attempts,
    /// and queues a shutdown for every worker), nil while it goes on.
    public func finishIfDone() throws -> Outcome? {
        try expireLeases()
        let heldBack = strays.heldBack(at: time.monotonic())
        if heldBack > 0 { onEvent(.straysNotLogged(heldBack)) }
        if let deadline = stopDeadline {
            guard stopNow || liveness.isEmpty || time.monotonic() >= deadline else { return nil }
            try abandonAll()
            shutdownWorkers(reason: "the job was interrupted")
            return .interrupted
        }
        guard isDrained else { return nil }
        let unfinished = state.order.filter { if case .committed = state.shards[$0]!.status { false } else { true } }
        if unfinished.isEmpty { try record(JournalRecord(.finished, time: time.wall())) }
        shutdownWorkers(reason: "the job is finished")
        return unfinished.isEmpty ? .complete : .shardsFailed(unfinished)
    }

    /// Group commit: the folders of renamed files are synced, then one `fsync` for every journal record
    /// since the last flush; returns the replies that waited for them, to be sent now.
    /// While this process has no descriptor to sync a folder with (outsiders holding connections), the
    /// replies keep waiting, and the next flush tries again.
    public func flush() throws -> [(peer: Peer, message: ProtocolMessage)] {
        for folder in dirtyFolders {
            do {
                try AtomicFile.syncDirectory(containing: folder + "/.")
            } catch {
                guard DescriptorLimit.isExhaustion(error.errno) else { throw error }
                pause(.resources, "cannot sync \(folder): \(error)")
                return []
            }
            dirtyFolders.remove(folder)
        }
        if journalDirty {
            try journal.sync()
            journalDirty = false
        }
        defer { outbox.removeAll(keepingCapacity: true) }
        return outbox
    }

    /// Images done in the running attempts, by shard (from their heartbeats).
    public var runningProgress: [ShardID: Int] { liveness.mapValues(\.imagesDone) }

    // MARK: messages

    /// Handles one frame from `peer`, which arrived on `connection` (its handshake's `User-Id`): a frame
    /// that is not a protocol message of this version is refused.
    public func receive(_ frame: [UInt8], from peer: Peer, connection: String? = nil) throws {
        let message: ProtocolMessage
        do {
            message = try ProtocolMessage(decoding: frame)
        } catch {
            let reason = PeerText.clean(error.description, limit: PeerInput.maxMessageBytes)
            stray(.workerRefused(worker: name(of: peer), reason: reason))
            reply(peer, .refused(ProtocolMessage.Refused(reason: "coordinator: \(reason)")))
            return
        }
        try handle(message, from: peer, connection: connection)
    }

    /// Handles one message from `peer`, which arrived on `connection` (nil where the transport does not
    /// say). Only `hello` is taken from a peer that has not said `hello` on this connection: anything else
    /// from it (a stranger, a forgotten worker, or a new connection that took a dead worker's routing id)
    /// has no effect, and a `ready` is told to say `hello`.
    public func handle(_ message: ProtocolMessage, from peer: Peer, connection: String? = nil) throws {
        if case .hello(let raw) = message, let problem = PeerInput.problem(workerID: raw.workerID) {
            let reason = "\(problem): every worker needs a printable id of at most \(PeerInput.maxWorkerIDBytes) bytes"
            stray(.workerRefused(worker: PeerText.clean(raw.workerID, limit: 64), reason: reason))
            reply(peer, .refused(ProtocolMessage.Refused(reason: reason)))
            return
        }
        let message = PeerInput.cleaned(message)
        if case .hello = message {
        } else if workers[peer] == nil || connections[peer] != connection {
            if workers[peer] != nil { forget(peer) } // its routing id now belongs to another connection
            if case .ready = message {
                reply(
                    peer,
                    .refused(
                        ProtocolMessage.Refused(
                            reason:
                                "unknown worker: send hello first (its lease expired, or the coordinator restarted)",
                            rejoin: true)))
            } else if case .done(let done) = message {
                // A late result of a forgotten worker (its lease expired): its own staging file, named after
                // its routing id (a worker's id), goes; never the current holder's (names are one to one).
                let id = String(decoding: peer, as: UTF8.self)
                if PeerInput.problem(workerID: id) == nil { discardStale(done, worker: id) }
                stray(.staleResultDiscarded(done.shard, attempt: done.attempt, worker: name(of: peer)))
            } else {
                stray(.workerRefused(worker: name(of: peer), reason: "'\(message.type)' without hello: ignored"))
            }
            return
        }
        if workers[peer] != nil { lastHeard[peer] = time.monotonic() }
        switch message {
        case .hello(let hello):
            // Only holders of the job's credential get here (CURVE + ZAP): naming the mismatch is safe.
            if let expected = settings.expectedModelHash, hello.modelHash != expected {
                let reason =
                    "worker \(hello.workerID) loaded model \(hello.modelHash), but this job uses model \(expected): start workers with the job's weights"
                stray(.workerRefused(worker: hello.workerID, reason: reason))
                reply(peer, .refused(ProtocolMessage.Refused(reason: reason)))
                return
            }
            if workers.contains(where: { $0.key != peer && $0.value.workerID == hello.workerID }) {
                // Worker ids name staging files and journal records: a second peer may not take one.
                let reason =
                    "worker id \(hello.workerID) is already connected (from another peer): every worker needs its own"
                stray(.workerRefused(worker: hello.workerID, reason: reason))
                reply(peer, .refused(ProtocolMessage.Refused(reason: reason)))
                return
            }
            if workers[peer] == nil && !hasRoomForAnotherWorker() {
                let reason =
                    "this job takes at most \(settings.maxWorkers) workers at once (max_workers in cluster.yaml), and they are all connected"
                stray(.workerRefused(worker: hello.workerID, reason: reason))
                reply(peer, .refused(ProtocolMessage.Refused(reason: reason)))
                return
            }
            workers[peer] = hello
            connections.updateValue(connection, forKey: peer) // nil too: the transport did not say
            lastHeard[peer] = time.monotonic()
            try record(
                JournalRecord(
                    .joined, time: time.wall(), worker: hello.workerID, host: PeerText.clean(hello.host, limit: 128),
                    device: PeerText.clean(hello.device, limit: 128)))
            onEvent(.workerJoined(hello))
            reply(
                peer,
                .welcome(ProtocolMessage.Welcome(jobID: settings.jobID, heartbeatSeconds: settings.heartbeatSeconds)))
        case .ready:
            if let held = liveness.first(where: { $0.value.peer == peer })?.key {
                // One lease per worker: a second `ready` while it holds one gets no second shard.
                if hoarders.insert(peer).inserted {
                    onEvent(
                        .workerRefused(
                            worker: name(of: peer),
                            reason: "asked for another shard while it holds \(held); it gets none until it reports"))
                }
                reply(peer, .idle(ProtocolMessage.Idle(seconds: settings.heartbeatSeconds)))
            } else if isStopping {
                reply(peer, .shutdown(ProtocolMessage.Shutdown(reason: "the coordinator is stopping")))
            } else if let next = nextShard() {
                try assign(next, to: peer)
            } else if !liveness.isEmpty || time.monotonic() < pausedUntil {
                reply(peer, .idle(ProtocolMessage.Idle(seconds: min(1, settings.heartbeatSeconds))))
            } else {
                reply(peer, .shutdown(ProtocolMessage.Shutdown(reason: "the job is finished")))
            }
        case .heartbeat(let beat):
            if isCurrent(beat.shard, attempt: beat.attempt, from: peer), var lease = liveness[beat.shard] {
                let now = time.monotonic()
                lease.lastBeat = now
                if beat.imagesDone > lease.imagesDone { lease.lastProgress = now }
                lease.imagesDone = max(lease.imagesDone, beat.imagesDone)
                liveness[beat.shard] = lease
            }
        case .done(let done):
            try finish(done, from: peer)
        case .failed(let failed):
            guard isCurrent(failed.shard, attempt: failed.attempt, from: peer) else {
                stray(.staleResultDiscarded(failed.shard, attempt: failed.attempt, worker: name(of: peer)))
                return
            }
            liveness[failed.shard] = nil
            try record(
                JournalRecord(
                    .failed, time: time.wall(), shard: failed.shard, attempt: failed.attempt,
                    worker: name(of: peer), code: failed.code, message: failed.message))
            if failed.code == JournalRecord.diskFullCode {
                pause(.diskFull, failed.message) // not charged to the shard (JobState)
                return
            }
            onEvent(.attemptFailed(failed.shard, attempt: failed.attempt, code: failed.code, message: failed.message))
            try giveUpIfExhausted(failed.shard, code: failed.code, message: failed.message)
        case .welcome, .refused, .assign, .idle, .shutdown:
            reply(
                peer,
                .refused(ProtocolMessage.Refused(reason: "coordinator: unexpected '\(message.type)' from a worker")))
        }
    }

    /// Whether one more worker may join: below `maxWorkers`, after forgetting workers that hold no
    /// lease and have not been heard from for a lease's time (they died idle).
    private func hasRoomForAnotherWorker() -> Bool {
        guard workers.count >= settings.maxWorkers else { return true }
        let now = time.monotonic()
        let holders = Set(liveness.values.map(\.peer))
        for (peer, heard) in lastHeard where !holders.contains(peer) && now - heard > settings.leaseSeconds {
            forget(peer)
        }
        return workers.count < settings.maxWorkers
    }

    // MARK: leases

    /// Why the coordinator stops assigning for a while.
    enum PauseCause { case diskFull, resources }

    /// Stops assigning for a back-off that doubles (from 4 heartbeats up to a minute) while the disk stays
    /// full, or while this process lacks descriptors or memory; says so once per episode (until a result
    /// commits again).
    private func pause(_ cause: PauseCause, _ message: String) {
        let reported = pauseBackoff != nil
        let backoff = min(60, pauseBackoff.map { $0 * 2 } ?? max(1, 4 * settings.heartbeatSeconds))
        pauseBackoff = backoff
        pausedUntil = time.monotonic() + backoff
        guard !reported else { return }
        switch cause {
        case .diskFull: onEvent(.diskFull(message: message, retrySeconds: backoff))
        case .resources: onEvent(.shortOfResources(message: message, retrySeconds: backoff))
        }
    }

    /// The first pending task in plan order that still has attempts left (none while paused for a full disk).
    private func nextShard(ignoringPause: Bool = false) -> ShardID? {
        if !ignoringPause && time.monotonic() < pausedUntil { return nil }
        return state.order.first { id in
            guard let s = state.shards[id], case .pending = s.status else { return false }
            return s.attemptsUsed < settings.maxAttempts
        }
    }

    /// Whether `attempt` of `id` is the running attempt and `peer` the worker that holds it.
    private func isCurrent(_ id: ShardID, attempt: Int, from peer: Peer) -> Bool {
        guard case .running(let running, let worker, _)? = state.shards[id]?.status, running == attempt,
            let holder = liveness[id], holder.peer == peer, workers[peer]?.workerID == worker
        else { return false }
        return true
    }

    /// The worker that holds `attempt` of `id`, if that attempt is running now.
    private func runningWorker(_ id: ShardID, attempt: Int) -> String? {
        guard case .running(let running, let worker, _)? = state.shards[id]?.status, running == attempt else {
            return nil
        }
        return worker
    }

    private func assign(_ id: ShardID, to peer: Peer) throws {
        guard let task = tasks.assignment(for: id), let worker = workers[peer]?.workerID else { return }
        let attempt = state.shards[id]!.lastAttempt + 1
        try record(JournalRecord(.assigned, time: time.wall(), shard: id, attempt: attempt, worker: worker))
        let now = time.monotonic()
        liveness[id] = Liveness(peer: peer, lastBeat: now, imagesDone: 0, started: now, lastProgress: now)
        onEvent(.assigned(id, attempt: attempt, worker: worker))
        reply(peer, .assign(ProtocolMessage.Assign(shard: id, attempt: attempt, task: task)))
    }

    private func finish(_ done: ProtocolMessage.Done, from peer: Peer) throws {
        let worker = name(of: peer)
        guard isCurrent(done.shard, attempt: done.attempt, from: peer) else {
            // A late result of an expired or voided attempt of this worker (it said hello): never commit it.
            // Its staging file is deleted, but never the one the attempt's current holder is writing
            // (another worker may call itself by the holder's name; staging names are one to one).
            discardStale(done, worker: worker)
            stray(.staleResultDiscarded(done.shard, attempt: done.attempt, worker: worker))
            return
        }
        let lease = liveness.removeValue(forKey: done.shard)
        do {
            if let folder = try tasks.accept(done, attempt: done.attempt, worker: worker) {
                dirtyFolders.insert(folder)
            }
        } catch let error as TagoodError where error.code == JournalRecord.resourcesCode {
            // The coordinator's own lack of descriptors or memory: not the shard's fault, so not charged.
            try record(
                JournalRecord(
                    .failed, time: time.wall(), shard: done.shard, attempt: done.attempt,
                    worker: worker, code: error.code, message: error.description))
            pause(.resources, error.description)
            return
        } catch {
            let code = (error as? TagoodError)?.code ?? "shard.verify"
            let message = "the result of attempt \(done.attempt) did not verify: \(error)"
            try record(
                JournalRecord(
                    .failed, time: time.wall(), shard: done.shard, attempt: done.attempt,
                    worker: worker, code: code, message: message))
            onEvent(.attemptFailed(done.shard, attempt: done.attempt, code: code, message: message))
            try giveUpIfExhausted(done.shard, code: code, message: message)
            return
        }
        try record(
            JournalRecord(
                .committed, time: time.wall(), shard: done.shard, attempt: done.attempt,
                worker: worker, checksum: done.resultChecksum, images: done.images,
                failedImages: done.failedImages, tokens: done.tokens, seconds: done.seconds))
        pauseBackoff = nil // space (or descriptors) are back: a new episode will be reported again
        if let lease {
            let seconds = time.monotonic() - lease.started
            attemptSeconds.insert(seconds, at: attemptSeconds.firstIndex { $0 > seconds } ?? attemptSeconds.endIndex)
        }
        onEvent(
            .committed(
                done.shard, attempt: done.attempt, images: done.images, failedImages: done.failedImages,
                tokens: done.tokens))
    }

    /// Expires every lease past its end: its worker missed `liveness` heartbeats (`lease.expired`), or,
    /// heartbeats or not, its progress stopped for ``Settings/stallSeconds`` (`lease.stalled`) or it ran
    /// far longer than the run's median attempt (`lease.overdue`). The reason goes to the journal (so to
    /// `status`) and to the log; the shard is re-queued, and the attempt is charged.
    private func expireLeases() throws {
        let now = time.monotonic()
        let median = attemptSeconds.count >= Settings.overdueSamples ? attemptSeconds[attemptSeconds.count / 2] : nil
        let ended = liveness.compactMapValues { end(of: $0, now: now, median: median) }
        guard !ended.isEmpty else { return }
        for id in state.order { // in plan order, so the journal is deterministic
            guard let (code, why) = ended[id], let lease = liveness[id],
                case .running(let attempt, let worker, _)? = state.shards[id]?.status
            else { continue }
            liveness[id] = nil
            forget(lease.peer) // presumed dead or hung: a late message from it is treated as stale
            let message = "worker \(worker) \(why) on attempt \(attempt)"
            try record(
                JournalRecord(
                    .expired, time: time.wall(), shard: id, attempt: attempt, worker: worker, code: code,
                    message: message))
            onEvent(.leaseExpired(id, attempt: attempt, worker: worker, reason: message))
            try giveUpIfExhausted(id, code: code, message: message)
        }
    }

    /// Whether `lease` has ended at `now`, and why: a code and what the worker did.
    private func end(of lease: Liveness, now: Double, median: Double?) -> (code: String, why: String)? {
        if now - lease.lastBeat > settings.leaseSeconds {
            return ("lease.expired", "missed \(settings.liveness) heartbeats (\(settings.leaseSeconds) s)")
        }
        if now - lease.lastProgress > settings.stallSeconds {
            return (
                "lease.stalled",
                "made no progress for \(Format.fixed(now - lease.lastProgress, 1)) s (\(lease.imagesDone) images done; stall_seconds is \(Format.fixed(settings.stallSeconds, 1))) although it kept heartbeating"
            )
        }
        if let median, now - lease.started > max(settings.stallSeconds, settings.overdueFactor * median) {
            return (
                "lease.overdue",
                "ran \(Format.fixed(now - lease.started, 1)) s, over overdue_factor \(Format.fixed(settings.overdueFactor, 1)) × the median attempt's \(Format.fixed(median, 1)) s"
            )
        }
        return nil
    }

    private func giveUpIfExhausted(_ id: ShardID, code: String, message: String) throws {
        guard let s = state.shards[id], case .pending = s.status, s.attemptsUsed >= settings.maxAttempts else { return }
        let final = "failed \(s.attemptsUsed) attempts; last error: \(message)"
        try record(
            JournalRecord(.gaveUp, time: time.wall(), shard: id, attempt: s.lastAttempt, code: code, message: final))
        onEvent(.gaveUp(id, code: code, message: final))
    }

    private func abandonAll() throws {
        for id in state.order {
            guard liveness[id] != nil, case .running(let attempt, let worker, _)? = state.shards[id]?.status else {
                continue
            }
            try record(
                JournalRecord(
                    .abandoned, time: time.wall(), shard: id, attempt: attempt, worker: worker,
                    code: "shutdown", message: "abandoned at shutdown"))
            onEvent(.abandoned(id, attempt: attempt))
        }
        liveness.removeAll()
    }

    private func shutdownWorkers(reason: String) {
        for peer in workers.keys { reply(peer, .shutdown(ProtocolMessage.Shutdown(reason: reason))) }
    }

    // MARK: plumbing

    /// Appends a record (made durable by the next ``flush()``, before any reply is sent) and applies it.
    private func record(_ r: JournalRecord) throws {
        try journal.append(r, sync: false)
        journalDirty = true
        state.apply(r)
    }

    private func reply(_ peer: Peer, _ message: ProtocolMessage) {
        outbox.append((peer, message))
    }

    /// Deletes what `worker` wrote for a `done` that is not current, unless `worker` holds that very
    /// attempt (then the file is the one it is writing).
    private func discardStale(_ done: ProtocolMessage.Done, worker: String) {
        if tasks.order.contains(done.shard), runningWorker(done.shard, attempt: done.attempt) != worker {
            tasks.discard(done.shard, attempt: done.attempt, worker: worker)
        }
    }

    /// Forgets a worker's registration (it must say `hello` again).
    private func forget(_ peer: Peer) {
        workers[peer] = nil
        connections[peer] = nil
        lastHeard[peer] = nil
    }

    /// Reports an event about a stray, at most ``StrayLimiter/burst`` per window.
    private func stray(_ event: CoordinatorEvent) {
        if strays.allow(at: time.monotonic()) { onEvent(event) }
    }

    /// The worker id of a known peer, else its routing id, cleaned for display.
    private func name(of peer: Peer) -> String {
        workers[peer]?.workerID ?? PeerInput.show(peer)
    }
}
