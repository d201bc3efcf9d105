import Datasets
import Job
import TagoodSupport

/// A finished job directory opened for reducing, through the Job module: its plan and its committed
/// shards, in plan order.
public struct ReduceJob: Sendable {
    /// The job directory.
    public let directory: JobDirectory
    /// The plan.
    public let plan: ShardPlan
    /// Every shard of the plan in plan order (dataset order, then shard index).
    public let shards: [CommittedShard]

    /// Opens `directory`: reads `plan.json` and replays `journal.jsonl`. Every shard must be committed.
    public init(directory: JobDirectory) throws(ReduceError) {
        do {
            let snapshot = try JobSnapshot(path: directory.path)
            self.directory = snapshot.directory
            plan = snapshot.plan
            shards = try snapshot.committedShards()
        } catch {
            throw ReduceError(
                error.kind == .incomplete ? .incomplete : .job, error.message, subject: error.subject,
                remedy: error.kind == .incomplete ? (error.remedy.map { $0 + ", then reduce" }) : error.remedy)
        }
    }

    /// The shards of dataset `name`, in order.
    public func shards(of name: String) -> [CommittedShard] { shards.filter { $0.dataset == name } }

    /// The datasets with role `role`, in plan order.
    public func datasets(_ role: DatasetRole) -> [PlannedDataset] { plan.datasets.filter { $0.spec.role == role } }
}
