import Datasets
import Shards
import TagoodSupport
import Transport
#if canImport(Glibc)
import Glibc
#endif

/// The extraction of a plan's shards: each task is one shard of images, written by a worker to a private
/// temporary file, which is verified (schema, counts, content checksum, the checksum the worker
/// reported) and renamed into the shard's final place only for the current attempt.
public final class ExtractionTasks: CoordinatorTasks {
    public let directory: JobDirectory
    public let plan: ShardPlan
    public let order: [ShardID]
    private let shards: [ShardID: (dataset: PlannedDataset, range: ShardRange)]

    /// Every shard of `plan`, in plan order.
    public init(directory: JobDirectory, plan: ShardPlan) {
        self.directory = directory
        self.plan = plan
        var shards: [ShardID: (PlannedDataset, ShardRange)] = [:]
        var order: [ShardID] = []
        for dataset in plan.datasets {
            for range in dataset.shards {
                let id = ShardID(dataset: dataset.spec.name, index: range.index)
                shards[id] = (dataset, range)
                order.append(id)
            }
        }
        self.shards = shards
        self.order = order
    }

    /// The plan entry of a shard.
    public func shard(_ id: ShardID) -> (dataset: PlannedDataset, range: ShardRange)? { shards[id] }

    public func assignment(for id: ShardID, attempt: Int) -> Assign? {
        guard let (dataset, range) = shards[id] else { return nil }
        let images = range.images
        return Assign(
            shard: id, attempt: attempt, start: range.start, count: range.count,
            path: dataset.relativePath(of: range), datasetHash: dataset.hash, role: dataset.spec.role.rawValue,
            root: dataset.spec.root, paths: Array(dataset.images.paths[images]), labels: Array(dataset.images.labels[images]))
    }

    public func accept(_ done: Done) throws -> String? {
        let temporary = directory.resolve(done.temporaryPath)
        guard let (dataset, range) = shards[done.shard] else {
            unlinkTemporary(done)
            throw JobError("shard \(done.shard) is not in the plan")
        }
        do {
            try verifyResult(at: temporary, done: done, dataset: dataset, range: range)
            let final = directory.shardFile(dataset, range)
            try AtomicFile.commit(temporary: temporary, to: final, syncDirectory: false)
            return Path.directory(of: final)
        } catch {
            unlink(temporary)
            throw error
        }
    }

    public func discard(_ done: Done) { unlinkTemporary(done) }

    public func removeLeftovers() { directory.removeTemporaryFiles() }

    private func unlinkTemporary(_ done: Done) {
        if AtomicFile.isTemporary(done.temporaryPath) { unlink(directory.resolve(done.temporaryPath)) }
    }

    /// Opens the worker's file and checks it is this shard's, complete, consistent and the file reported.
    private func verifyResult(at path: String, done: Done, dataset: PlannedDataset, range: ShardRange) throws {
        let reader = try ShardReader(path: path)
        defer { reader.close() }
        // The worker hashed the file it wrote; matching that hash here proves these are the same bytes, so
        // the content checksum need not be recomputed (resume re-verifies everything in full).
        let verification = try reader.verify(expectedFileChecksum: done.checksum, content: false)
        let meta = verification.header.metadata
        guard meta.dataset == dataset.spec.name, meta.shardIndex == range.index, meta.planHash == dataset.hash else {
            throw ShardError(.schema, path: path, subject: "attributes",
                             detail: "the file is shard \(meta.dataset)/\(meta.shardIndex) of plan \(meta.planHash), expected \(dataset.spec.name)/\(range.index) of plan \(dataset.hash)")
        }
        guard verification.images == range.count else {
            throw ShardError(.counts, path: path, subject: "paths",
                             detail: "the file holds \(verification.images) images, the plan gives this shard \(range.count)")
        }
    }
}
