import Job
import Transport

/// What a ``Coordinator`` hands out and how it accepts the results: the task-specific half of the
/// coordinator. Leases, heartbeats, expiry, attempts, stale results and the journal are the
/// coordinator's and the same for every kind of task.
///
/// The two kinds are registered in one place, ``ClusterTasks``: ``ExtractionTasks`` extracts a plan's
/// shards (`tagood launch`, `resume`); ``ReduceTasks`` builds the reducer's partials
/// (`tagood reduce --cluster`). Methods are called on the coordinator's thread only.
public protocol TaskSet: AnyObject {
    /// The kind of every task of the set (workers of another kind are told so).
    var kind: TaskKind { get }

    /// The tasks, in the order they are handed out.
    var order: [ShardID] { get }

    /// The inputs of task `id`, or nil for an id that is not a task.
    func assignment(for id: ShardID) -> TaskAssignment?

    /// Verifies and commits the result of the current attempt `attempt` of `id`, written by `worker`
    /// (its hello's worker id). Throws (a `TagoodError` when it can say which code) when the result does
    /// not verify, after removing what it left; returns a folder whose entries changed and must be
    /// synced before the journal records the commit, if any.
    func accept(_ done: ProtocolMessage.Done, attempt: Int, worker: String) throws -> String?

    /// Drops what a no-longer-current attempt (`attempt` of `id` by `worker`: expired, voided or unknown)
    /// may have written. Only that attempt's own file may be touched.
    func discard(_ id: ShardID, attempt: Int, worker: String)

    /// Removes what attempts abandoned at shutdown may have left (staging files), once no worker writes.
    func removeLeftovers()
}
