import Datasets
import TagoodSupport

/// One shard of a plan with what every stage needs to know of it: its identity, its dataset's role and
/// hash, and its images' range. The plan's shards in plan order are ``ShardPlan/plannedShards``.
public struct PlannedShard: Sendable, Equatable {
    public var id: ShardID
    public var role: DatasetRole
    /// The dataset's hash in the plan (a shard's `plan_hash` attribute must equal it).
    public var datasetHash: String
    /// The shard's images in its dataset's list.
    public var range: ShardRange

    public init(id: ShardID, role: DatasetRole, datasetHash: String, range: ShardRange) {
        self.id = id
        self.role = role
        self.datasetHash = datasetHash
        self.range = range
    }

    /// The dataset's name.
    public var dataset: String { id.dataset }
}

extension ShardPlan {
    /// Every shard of the plan, in plan order (dataset order, then shard index): the order shards are
    /// handed out, listed and reduced in.
    public var plannedShards: [PlannedShard] {
        datasets.flatMap { dataset in
            dataset.shards.map {
                PlannedShard(
                    id: ShardID(dataset: dataset.spec.name, index: $0.index), role: dataset.spec.role,
                    datasetHash: dataset.hash, range: $0)
            }
        }
    }

    /// The ids of ``plannedShards``.
    public var shardIDs: [ShardID] { plannedShards.map(\.id) }

    /// The dataset and range of shard `id`, or nil when the plan has no such shard.
    public func shard(_ id: ShardID) -> (dataset: PlannedDataset, range: ShardRange)? {
        guard let dataset = dataset(named: id.dataset), id.index >= 0, id.index < dataset.shards.count,
            dataset.shards[id.index].index == id.index
        else { return nil }
        return (dataset, dataset.shards[id.index])
    }
}
