import Job
import TagoodSupport
import Transport

/// What the coordinator takes from a peer before any of it reaches a log line, `status` or the journal:
/// every string cleaned of control characters and bounded (``PeerText``), and worker ids checked, since
/// they name staging files and journal records.
enum PeerInput {
    /// The longest worker id accepted (a host name of 64 bytes, `:` and a pid fit).
    static let maxWorkerIDBytes = 128
    /// Bounds of the other strings a peer sends: a `failed` message, an error code, any other field.
    static let maxMessageBytes = 400, maxCodeBytes = 64, maxFieldBytes = 128
    /// The most pinned CPUs or GPUs a `hello` may list.
    static let maxPinned = 4096

    /// Why `id` cannot be a worker id, or nil when it can.
    static func problem(workerID id: String) -> String? {
        if id.isEmpty { return "the worker id is empty" }
        if id.utf8.count > maxWorkerIDBytes {
            return "the worker id is \(id.utf8.count) bytes long; the limit is \(maxWorkerIDBytes)"
        }
        if !PeerText.isPrintable(id) { return "the worker id holds control characters" }
        return nil
    }

    /// A peer's routing id, shown.
    static func show(_ peer: [UInt8]) -> String { PeerText.clean(peer, limit: 64) }

    /// `message` with every string a peer chose cleaned and bounded (a worker id is checked at `hello`,
    /// and shown cleaned).
    static func cleaned(_ message: ProtocolMessage) -> ProtocolMessage {
        func field(_ s: String) -> String { PeerText.clean(s, limit: maxFieldBytes) }
        func shard(_ id: ShardID) -> ShardID { ShardID(dataset: field(id.dataset), index: id.index) }
        switch message {
        case .hello(var h):
            h.workerID = PeerText.clean(h.workerID, limit: maxWorkerIDBytes + 1) // kept over the limit: refused
            h.host = field(h.host)
            h.device = field(h.device)
            h.modelHash = field(h.modelHash)
            h.tagoodVersion = field(h.tagoodVersion)
            h.pinned = Array(h.pinned.prefix(maxPinned))
            return .hello(h)
        case .heartbeat(var b):
            b.shard = shard(b.shard)
            return .heartbeat(b)
        case .done(var d):
            d.shard = shard(d.shard)
            d.resultChecksum = field(d.resultChecksum)
            return .done(d)
        case .failed(var f):
            f.shard = shard(f.shard)
            f.code = PeerText.clean(f.code, limit: maxCodeBytes)
            f.message = PeerText.clean(f.message, limit: maxMessageBytes)
            return .failed(f)
        case .welcome, .refused, .ready, .assign, .idle, .shutdown:
            return message
        }
    }
}

/// Lets at most `burst` log lines through per `window` seconds and counts the rest, so that a peer
/// sending strays (messages without `hello`, late or foreign results, refused `hello`s) cannot flood the
/// log: the count of what was held back is reported once the window ends.
struct StrayLimiter {
    var burst = 20
    var window = 10.0
    private var windowStart = -Double.infinity
    private var used = 0
    private(set) var suppressed = 0

    /// Whether a line may be logged at `now`.
    mutating func allow(at now: Double) -> Bool {
        if now - windowStart >= window {
            windowStart = now
            used = 0
        }
        guard used < burst else {
            suppressed += 1
            return false
        }
        used += 1
        return true
    }

    /// How many lines were held back, once their window is over (then the count restarts); else 0.
    mutating func heldBack(at now: Double) -> Int {
        guard suppressed > 0, now - windowStart >= window else { return 0 }
        defer { suppressed = 0 }
        return suppressed
    }
}
