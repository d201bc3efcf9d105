import Datasets
import Shards
import TagoodSupport

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
    /// Temporary and staging files left by killed writers, deleted.
    public var removedTemporary = 0

    /// Verifies every shard file of the plan against the journal, journals what it finds (durably), and
    /// removes temporary files. Nothing may be writing to the job while it runs.
    public static func run(
        directory: JobDirectory, plan: ShardPlan, journal: Journal, state: JobState, identity: JobIdentity? = nil,
        time: any TimeSource = SystemTime(), progress: (Int, Int) -> Void = { _, _ in }
    ) throws -> ShardAudit {
        var audit = ShardAudit()
        audit.removedTemporary = directory.removeTemporaryFiles()
        let shards = plan.plannedShards
        for (done, shard) in shards.enumerated() {
            defer { progress(done + 1, shards.count) }
            let path = directory.shardFile(shard.id)
            let exists = FileSystem.exists(path)
            if case .committed(let checksum) = state.shards[shard.id]?.status {
                guard exists else {
                    audit.invalid.append((shard.id, "the committed file \(path) is missing"))
                    try journal.append(
                        JournalRecord(
                            .invalid, time: time.wall(), shard: shard.id, code: "shard.missing",
                            message: "the committed file is missing"), sync: false)
                    continue
                }
                do {
                    _ = try verify(
                        path: path, shard: shard, plan: plan, identity: identity, checksum: checksum, content: true)
                    audit.verified += 1
                } catch {
                    audit.invalid.append((shard.id, "\(error)"))
                    unlink(path)
                    try journal.append(
                        JournalRecord(
                            .invalid, time: time.wall(), shard: shard.id,
                            code: (error as? TagoodError)?.code ?? "shard.corrupt", message: "\(error)"),
                        sync: false)
                }
            } else if exists {
                do {
                    // No checksum vouches for it, so only a sealed file can be adopted (an unsealed one is redone).
                    let v = try verify(
                        path: path, shard: shard, plan: plan, identity: identity, checksum: nil, content: true)
                    try journal.append(
                        JournalRecord(
                            .committed, time: time.wall(), shard: shard.id, worker: "adopted by resume",
                            checksum: v.fileChecksum, images: v.images,
                            failedImages: v.failedImages, tokens: v.tokens), sync: false)
                    audit.adopted.append(shard.id)
                } catch {
                    unlink(path) // not the journal's and not valid: it cannot be trusted
                }
            }
        }
        try journal.sync()
        return audit
    }

    /// Verifies a shard file and that it is `shard` of this plan: its dataset, index, dataset hash and
    /// image count; with `identity`, its `job_id` and `model_hash`; with `plan`, its image paths and
    /// labels in order (they must be the plan's). With `checksum`, the file checksum (`ShardFile.checksum`) must equal it; with `content`,
    /// every dataset's content checksum is recomputed. The coordinator accepts a worker's file and
    /// `resume` re-verifies the committed ones with all of it: a file that is not this job's (`shard.foreign`)
    /// never becomes one of its shards, whatever checksums it carries.
    ///
    /// The file's bytes are checked before HDF5 opens it: against its seal, and against `checksum` when
    /// given. HDF5 1.10.8 itself can crash on a damaged file (a corrupted variable-length attribute, found
    /// by `make fuzz`), so no file whose bytes are not the ones its writer sealed, the worker reported or
    /// the journal recorded ever reaches it. A file without a seal (tagood 0.1.0's) passes only when
    /// `checksum` vouches for it.
    public static func verify(
        path: String, shard: PlannedShard, plan: ShardPlan? = nil, identity: JobIdentity? = nil,
        checksum: String?, content: Bool
    ) throws -> ShardVerification {
        let reader = try ShardReader(path: path, expectedFileChecksum: checksum)
        defer { reader.close() }
        let v = try reader.verify(content: content)
        let meta = v.header.metadata
        guard meta.dataset == shard.dataset, meta.shardIndex == shard.id.index, meta.datasetHash == shard.datasetHash
        else {
            throw ShardError(
                .schema, path: path, part: "attributes",
                detail:
                    "the file is shard \(meta.dataset)/\(meta.shardIndex) of dataset hash \(meta.datasetHash), expected \(shard.id) of dataset hash \(shard.datasetHash)"
            )
        }
        guard v.images == shard.range.count else {
            throw ShardError(
                .counts, path: path, part: "paths",
                detail: "the file holds \(v.images) images, the plan gives shard \(shard.id) \(shard.range.count)")
        }
        if let identity {
            guard meta.jobID == identity.jobID else {
                throw ShardError(
                    .foreign, path: path, part: "attribute `job_id`",
                    detail:
                        "is \(meta.jobID.debugDescription), but this job is \(identity.jobID.debugDescription): the file is not this job's"
                )
            }
            if let model = identity.modelHash, meta.modelHash != model {
                throw ShardError(
                    .foreign, path: path, part: "attribute `model_hash`",
                    detail:
                        "is \(meta.modelHash.debugDescription), but this job's model is \(model): the tokens were not made by this job's weights"
                )
            }
        }
        if let plan, let dataset = plan.dataset(named: shard.dataset) {
            let expected = dataset.images.paths[shard.range.images]
            let (stored, labels) = try reader.pathsAndLabels()
            let expectedLabels = dataset.images.labels[shard.range.images]
            if let i = labels.indices.first(where: { labels[$0] != expectedLabels[expectedLabels.startIndex + $0] }) {
                throw ShardError(
                    .foreign, path: path, part: "dataset `labels`",
                    detail:
                        "image #\(i) has label \(labels[i]), but the plan gives it \(expectedLabels[expectedLabels.startIndex + i])"
                )
            }
            if let i = stored.indices.first(where: { stored[$0] != expected[expected.startIndex + $0] }) {
                throw ShardError(
                    .foreign, path: path, part: "dataset `paths`",
                    detail:
                        "image #\(i) is \(FileName.display(stored[i]).debugDescription), but the plan's image #\(i) of shard \(shard.id) is "
                        + "\(FileName.display(expected[expected.startIndex + i]).debugDescription): the file does not hold this shard's images"
                )
            }
        }
        return v
    }
}
