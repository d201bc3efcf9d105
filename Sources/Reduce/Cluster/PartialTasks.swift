import Cluster
import Datasets
import TagoodSupport
import Transport

/// The reduce's partials as coordinator tasks (`tagood reduce --cluster`): one task per shard whose partial
/// is missing. A worker builds the partial with ``PartialStore/ensure(_:verify:)`` (content-addressed and
/// written atomically, so a duplicate is harmless); the coordinator accepts it once the partial loads
/// for that shard and checksum.
final class PartialTasks: CoordinatorTasks {
    let order: [ShardID]
    private let tasks: [ShardID: ShardTask]
    private let job: ReduceJob
    private let store: PartialStore

    init(_ todo: [ShardTask], job: ReduceJob, store: PartialStore) {
        self.job = job
        self.store = store
        order = todo.map(\.id)
        tasks = Dictionary(uniqueKeysWithValues: todo.map { ($0.id, $0) })
    }

    func assignment(for id: ShardID, attempt: Int) -> Assign? {
        guard let task = tasks[id], let dataset = job.plan.dataset(named: task.dataset) else { return nil }
        return Assign(shard: id, attempt: attempt, start: task.range.start, count: task.range.count,
                      path: dataset.relativePath(of: task.range), datasetHash: task.planHash, role: task.role.rawValue,
                      task: .reduce, checksum: task.checksum)
    }

    func accept(_ done: Done) throws -> String? {
        guard let task = tasks[done.shard] else { throw ReduceError(.cluster, "\(done.shard) is not a shard to reduce") }
        guard done.checksum == task.checksum else {
            throw ReduceError(.shard, "the worker reduced \(done.shard) with checksum \(done.checksum), the journal has \(task.checksum)")
        }
        guard store.has(task) else {
            throw ReduceError(.damaged, "the worker reported partial \(store.path(of: task)), which does not exist; "
                + "do the workers see the job directory \(job.directory.path)?")
        }
        _ = try store.load(task)
        return Path.directory(of: store.path(of: task))
    }

    /// A late partial is the same file as the current one would be: nothing to undo.
    func discard(_ done: Done) {}

    /// Half-written partials are removed by the next reduce (``PartialStore/removeTemporaryFiles()``).
    func removeLeftovers() {}
}

extension ShardTask {
    /// The shard's id in the coordinator's protocol.
    var id: ShardID { ShardID(dataset: dataset, index: range.index) }
}
