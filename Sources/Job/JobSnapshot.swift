import Datasets
import TagoodSupport

/// A job directory read at one moment: its plan, its journal and every shard's state. What `status`
/// shows and what the reducer reads a finished job through; it never writes.
public struct JobSnapshot: Sendable {
    public let directory: JobDirectory
    public let plan: ShardPlan
    public let records: [JournalRecord]
    public let state: JobState

    /// Reads `plan.json` and replays `journal.jsonl` of the job directory at `path`.
    public init(path: String) throws(JobError) {
        let directory = JobDirectory(path)
        guard directory.exists else {
            throw JobError(
                .notAJob, "\(path) is not a job directory (no plan.json)", subject: path,
                remedy: "pass the folder `tagood launch` made (<output>/<job>)")
        }
        do {
            plan = try ShardPlan.load(path: directory.planFile)
        } catch {
            throw JobError(.notAJob, "\(error)", subject: directory.planFile)
        }
        self.directory = directory
        records = try Journal.read(path: directory.journalFile)
        state = JobState(shards: plan.shardIDs, replaying: records)
    }

    /// Every shard of the plan, committed, in plan order; an error naming the first few that are not.
    public func committedShards() throws(JobError) -> [CommittedShard] {
        var shards: [CommittedShard] = []
        var missing: [ShardID] = []
        for shard in plan.plannedShards {
            guard case .committed(let checksum) = state.shards[shard.id]?.status, !checksum.isEmpty else {
                missing.append(shard.id)
                continue
            }
            shards.append(directory.committed(shard, checksum: checksum))
        }
        guard missing.isEmpty else {
            let shown = missing.prefix(5).map(\.description).joined(separator: ", ") + (missing.count > 5 ? ", …" : "")
            throw JobError(
                .incomplete,
                "job \(directory.path): \(missing.count) of \(plan.shardCount) shards are not committed (\(shown))",
                subject: directory.path,
                remedy: "run `tagood resume \(directory.path)` until `tagood status` shows every shard done")
        }
        return shards
    }
}

extension JobDirectory {
    /// Shard `shard` as committed with file checksum `checksum`, at its place in this directory.
    public func committed(_ shard: PlannedShard, checksum: String) -> CommittedShard {
        CommittedShard(shard: shard, checksum: checksum, path: shardFile(shard.id))
    }
}

/// A committed shard: its plan entry, the file checksum the journal recorded for it, and its file
/// (``JobDirectory/committed(_:checksum:)`` makes one).
public struct CommittedShard: Sendable, Equatable {
    public var shard: PlannedShard
    /// The committed file's checksum, from the journal (the seal's body hash: XXH3-64 since seal 2).
    public var checksum: String
    /// The shard file (absolute, or relative to where the job directory was given).
    public var path: String

    public var id: ShardID { shard.id }
    public var dataset: String { shard.dataset }
    public var role: DatasetRole { shard.role }
    public var range: ShardRange { shard.range }
    public var datasetHash: String { shard.datasetHash }
}
