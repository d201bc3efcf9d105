import Job
import Transport

/// What the coordinator reports as it runs; the CLI turns these into progress bars and log lines.
public enum CoordinatorEvent: Sendable {
    case workerJoined(ProtocolMessage.Hello)
    case workerRefused(worker: String, reason: String)
    case assigned(ShardID, attempt: Int, worker: String)
    case committed(ShardID, attempt: Int, images: Int, failedImages: Int, tokens: Int)
    case attemptFailed(ShardID, attempt: Int, code: String, message: String)
    case leaseExpired(ShardID, attempt: Int, worker: String)
    case staleResultDiscarded(ShardID, attempt: Int, worker: String)
    case gaveUp(ShardID, code: String, message: String)
    case stopping(graceSeconds: Double)
    case abandoned(ShardID, attempt: Int)
    /// A worker could not write for lack of space; no new work is handed out for `retrySeconds`.
    /// Reported once per episode (until a result commits again).
    case diskFull(message: String, retrySeconds: Double)
}
