import Job
import Transport

/// What the coordinator reports as it runs; the CLI turns these into progress bars and log lines.
public enum CoordinatorEvent: Sendable {
    case workerJoined(ProtocolMessage.Hello)
    case workerRefused(worker: String, reason: String)
    case assigned(ShardID, attempt: Int, worker: String)
    case committed(ShardID, attempt: Int, images: Int, failedImages: Int, tokens: Int)
    case attemptFailed(ShardID, attempt: Int, code: String, message: String)
    /// A lease ended without a result; `reason` says why (missed heartbeats, no progress, overdue).
    case leaseExpired(ShardID, attempt: Int, worker: String, reason: String)
    case staleResultDiscarded(ShardID, attempt: Int, worker: String)
    case gaveUp(ShardID, code: String, message: String)
    case stopping(graceSeconds: Double)
    case abandoned(ShardID, attempt: Int)
    /// A worker could not write for lack of space; no new work is handed out for `retrySeconds`.
    /// Reported once per episode (until a result commits again).
    case diskFull(message: String, retrySeconds: Double)
    /// The coordinator itself ran out of file descriptors or memory (outsiders holding connections, say)
    /// while it verified a result: that attempt is not charged, and no new work is handed out for
    /// `retrySeconds`. Reported once per episode.
    case shortOfResources(message: String, retrySeconds: Double)
    /// This many log lines about strays (messages from unknown peers, late results, refused hellos) were
    /// held back by the rate limit in the last window.
    case straysNotLogged(Int)
}
