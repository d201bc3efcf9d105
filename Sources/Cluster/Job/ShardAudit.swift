import Datasets
import Shards
import TagoodSupport
import Transport
#if canImport(Glibc)
import Glibc
#endif

/// What `resume` (and a relaunch) finds when it re-checks the shard files against the journal.
public struct ShardAudit: Sendable {
    /// Committed shards whose file verified.
    public var verified = 0
    /// Committed shards whose file is missing or corrupt; they go back to the queue.
    public var invalid: [(shard: ShardID, reason: String)] = []
    /// Files in place that the journal had not recorded (the coordinator died between the rename and
    /// the journal write); they verified and were adopted.
    public var adopted: [ShardID] = []
    /// Temporary files left by killed writers, deleted.
    public var removedTemporary = 0

    /// Verifies every shard file of the plan against the journal, journals what it finds, and removes
    /// temporary files. Nothing may be writing to the job while it runs.
    public static func run(directory: JobDirectory, plan: ShardPlan, journal: Journal, state: JobState,
                           progress: (Int, Int) -> Void = { _, _ in }) throws -> ShardAudit {
        var audit = ShardAudit()
        audit.removedTemporary = directory.removeTemporaryFiles()
        let total = plan.shardCount
        var done = 0
        for dataset in plan.datasets {
            for range in dataset.shards {
                defer { done += 1; progress(done, total) }
                let id = ShardID(dataset: dataset.spec.name, index: range.index)
                let path = directory.shardFile(dataset, range)
                let exists = access(path, F_OK) == 0
                if case .committed(let checksum) = state.shards[id]?.status {
                    guard exists else {
                        audit.invalid.append((id, "the committed file \(path) is missing"))
                        try journal.append(JournalRecord(.invalid, time: wallSeconds(), shard: id, code: "shard.missing",
                                                         message: "the committed file is missing"))
                        continue
                    }
                    do {
                        _ = try check(path: path, dataset: dataset, range: range, checksum: checksum)
                        audit.verified += 1
                    } catch {
                        audit.invalid.append((id, "\(error)"))
                        unlink(path)
                        try journal.append(JournalRecord(.invalid, time: wallSeconds(), shard: id,
                                                         code: (error as? TagoodError)?.code ?? "shard.corrupt", message: "\(error)"))
                    }
                } else if exists {
                    do {
                        let v = try check(path: path, dataset: dataset, range: range, checksum: nil)
                        let checksum = try ShardFile.checksum(path: path)
                        try journal.append(JournalRecord(.committed, time: wallSeconds(), shard: id, worker: "adopted by resume",
                                                         checksum: checksum, images: v.images,
                                                         failedImages: v.failedImages, tokens: v.tokens))
                        audit.adopted.append(id)
                    } catch {
                        unlink(path)  // not the journal's and not valid: it cannot be trusted
                    }
                }
            }
        }
        return audit
    }

    /// Verifies one shard file and that it is this shard of this plan.
    static func check(path: String, dataset: PlannedDataset, range: ShardRange, checksum: String?) throws -> ShardVerification {
        let reader = try ShardReader(path: path)
        defer { reader.close() }
        let v = try reader.verify(expectedFileChecksum: checksum)
        let meta = v.header.metadata
        guard meta.dataset == dataset.spec.name, meta.shardIndex == range.index, meta.planHash == dataset.hash,
              v.images == range.count else {
            throw ShardError(.counts, path: path, subject: "attributes",
                             detail: "holds \(v.images) images of \(meta.dataset)/\(meta.shardIndex) (plan \(meta.planHash)); expected \(range.count) of \(dataset.spec.name)/\(range.index) (plan \(dataset.hash))")
        }
        return v
    }
}
