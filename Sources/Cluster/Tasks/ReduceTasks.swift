import Coordination
import Datasets
import Job
import Reduce
import TagoodSupport
import Transport

/// The reduce's partials as coordinator tasks (`tagood reduce --cluster`): one task per shard whose
/// partial is missing. A worker builds the partial with ``PartialStore/ensure(_:verify:)`` (content-
/// addressed and written atomically, so a duplicate is harmless); the coordinator accepts it once the
/// partial loads for that shard and checksum.
public final class ReduceTasks: TaskSet {
    public let order: [ShardID]
    private let shards: [ShardID: CommittedShard]
    private let store: PartialStore
    private let directory: JobDirectory

    public init(_ todo: [CommittedShard], directory: JobDirectory) {
        self.directory = directory
        store = PartialStore(directory: directory)
        order = todo.map(\.id)
        shards = Dictionary(uniqueKeysWithValues: todo.map { ($0.id, $0) })
    }

    public var kind: TaskKind { .reduce }

    public func assignment(for id: ShardID) -> TaskAssignment? {
        guard let shard = shards[id] else { return nil }
        return .reduce(
            ReduceTask(role: shard.role, datasetHash: shard.datasetHash, range: shard.range, checksum: shard.checksum))
    }

    public func accept(_ done: ProtocolMessage.Done, attempt: Int, worker: String) throws -> String? {
        guard let shard = shards[done.shard] else {
            throw ReduceError(.cluster, "\(done.shard) is not a shard to reduce", subject: done.shard.description)
        }
        guard done.resultChecksum == shard.checksum else {
            throw ReduceError(
                .shard,
                "the worker reduced \(done.shard) with checksum \(done.resultChecksum), the journal has \(shard.checksum)",
                subject: done.shard.description)
        }
        guard store.has(shard) else {
            throw ReduceError(
                .damaged, "the worker reported partial \(store.path(of: shard)), which does not exist",
                subject: store.path(of: shard), remedy: "do the workers see the job directory \(directory.path)?")
        }
        _ = try store.load(shard, rebuildingDamaged: false)
        return Path.directory(of: store.path(of: shard))
    }

    /// A late partial is the same file as the current one would be: nothing to undo.
    public func discard(_ id: ShardID, attempt: Int, worker: String) {}

    /// Half-written partials are removed by the next reduce (``PartialStore/removeTemporaryFiles()``).
    public func removeLeftovers() {}
}
