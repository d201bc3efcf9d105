import Cluster
import Datasets
import TagoodSupport
import Transport
#if canImport(Glibc)
import Glibc
#endif

/// One committed shard to reduce: where it is and the file checksum the journal recorded for it.
public struct ShardTask: Sendable, Equatable {
    /// The dataset's name.
    public var dataset: String
    /// The dataset's role.
    public var role: DatasetRole
    /// The shard's place in the plan.
    public var range: ShardRange
    /// The shard file.
    public var path: String
    /// The XXH64 of the committed file, from the journal: it names the shard's partial.
    public var checksum: String
    /// The plan's dataset hash, which the shard's `plan_hash` attribute must equal.
    public var planHash: String
}

/// A job directory opened for reducing: its plan and its committed shards, in plan order.
public struct ReduceJob: Sendable {
    /// The job directory.
    public let directory: JobDirectory
    /// The plan.
    public let plan: ShardPlan
    /// Every shard of the plan in plan order (dataset order, then shard index).
    public let shards: [ShardTask]

    /// `<job>/reduce`.
    public var reduceFolder: String { directory.path + "/reduce" }
    /// `<job>/reduce/partials`.
    public var partialsFolder: String { reduceFolder + "/partials" }
    /// `<job>/report`.
    public var reportFolder: String { directory.path + "/report" }

    /// Opens `path`: reads `plan.json` and replays `journal.jsonl`. Every shard must be committed.
    public init(path: String) throws(ReduceError) {
        let directory = JobDirectory(path)
        guard access(directory.planFile, R_OK) == 0 else {
            throw ReduceError(.job, "\(path) is not a job directory (no readable plan.json); pass the folder `tagood launch` made")
        }
        let plan: ShardPlan
        do { plan = try ShardPlan.load(path: directory.planFile) } catch {
            throw ReduceError(.job, "\(error)")
        }
        let records: [JournalRecord]
        do { records = try Journal.read(path: directory.journalFile) } catch {
            throw ReduceError(.job, "\(error)")
        }
        let order = plan.datasets.flatMap { d in d.shards.map { ShardID(dataset: d.spec.name, index: $0.index) } }
        let state = JobState(shards: order, replaying: records)
        var shards: [ShardTask] = []
        var missing: [String] = []
        for dataset in plan.datasets {
            for range in dataset.shards {
                let id = ShardID(dataset: dataset.spec.name, index: range.index)
                guard case .committed(let checksum) = state.shards[id]?.status, !checksum.isEmpty else {
                    missing.append(id.description)
                    continue
                }
                shards.append(ShardTask(dataset: dataset.spec.name, role: dataset.spec.role, range: range,
                                        path: directory.shardFile(dataset, range), checksum: checksum,
                                        planHash: dataset.hash))
            }
        }
        guard missing.isEmpty else {
            let shown = missing.prefix(5).joined(separator: ", ") + (missing.count > 5 ? ", …" : "")
            throw ReduceError(.incomplete, "job \(path): \(missing.count) of \(plan.shardCount) shards are not committed (\(shown)); "
                + "run `tagood resume \(path)` until `tagood status` shows every shard done, then reduce")
        }
        self.directory = directory
        self.plan = plan
        self.shards = shards
    }

    /// The shards of dataset `name`, in order.
    public func shards(of name: String) -> [ShardTask] { shards.filter { $0.dataset == name } }

    /// The datasets with role `role`, in plan order.
    public func datasets(_ role: DatasetRole) -> [PlannedDataset] { plan.datasets.filter { $0.spec.role == role } }
}
