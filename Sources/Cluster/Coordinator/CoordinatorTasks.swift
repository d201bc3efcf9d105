import Transport

/// What a ``Coordinator`` hands out and how it accepts the results: the task-specific half of the
/// coordinator. Leases, heartbeats, expiry, attempts, stale results and the journal are the
/// coordinator's and the same for every kind of task.
///
/// ``ExtractionTasks`` extracts a plan's shards (`tagood launch`); the reducer's partials implement it
/// too (`tagood reduce --cluster`). Methods are called on the coordinator's thread only.
public protocol CoordinatorTasks: AnyObject {
    /// The tasks, in the order they are handed out. A task the journal says is done is not handed out.
    var order: [ShardID] { get }

    /// The assignment of attempt `attempt` of task `id`, or nil for an id that is not a task.
    func assignment(for id: ShardID, attempt: Int) -> Assign?

    /// Verifies and commits the result of the current attempt of `done.shard`. Throws (a ``TagoodError``
    /// when it can say which code) when the result does not verify, after removing what it left;
    /// returns a folder whose entries changed and must be synced before the journal, if any.
    func accept(_ done: Done) throws -> String?

    /// Drops the result of an attempt that is no longer current (expired, voided, unknown).
    func discard(_ done: Done)

    /// Removes what attempts abandoned at shutdown may have left (temporary files).
    func removeLeftovers()
}
