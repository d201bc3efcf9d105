import Datasets
import Job
import Shards
import TagoodSupport
import Transport

#if canImport(Glibc)
import Glibc
import Coordination
#endif

/// The extraction of a plan's shards: each task is one shard of images, written by a worker to the
/// staging file of its attempt, which is verified in full (its seal and the worker's file checksum before
/// HDF5 opens it; schema, counts and content checksum; the job's `job_id` and `model_hash`; the plan's
/// image paths in order) and renamed into the shard's place only for the current attempt: one write and
/// one rename per shard.
public final class ExtractionTasks: TaskSet {
    public let directory: JobDirectory
    public let plan: ShardPlan
    public let order: [ShardID]
    /// What every accepted file must say about itself (nil: not checked, for tests of other things).
    public let identity: JobIdentity?
    private let shards: [ShardID: PlannedShard]

    /// Every shard of `plan`, in plan order.
    public init(directory: JobDirectory, plan: ShardPlan, identity: JobIdentity?) {
        self.directory = directory
        self.plan = plan
        self.identity = identity
        let planned = plan.plannedShards
        order = planned.map(\.id)
        shards = Dictionary(uniqueKeysWithValues: planned.map { ($0.id, $0) })
    }

    public var kind: TaskKind { .extract }

    public func assignment(for id: ShardID) -> TaskAssignment? {
        guard let shard = shards[id], let dataset = plan.dataset(named: id.dataset) else { return nil }
        let images = shard.range.images
        // A dataset read from tars is found through its tar index: the worker's root is the index file.
        let root =
            dataset.spec.layout.readsArchives
            ? Path.absolute(directory.archiveIndexFile(dataset: dataset.spec.name)) : dataset.spec.root
        return .extract(
            ExtractTask(
                role: shard.role, datasetHash: shard.datasetHash, root: root,
                paths: Array(dataset.images.paths[images]), labels: Array(dataset.images.labels[images])))
    }

    public func accept(_ done: ProtocolMessage.Done, attempt: Int, worker: String) throws -> String? {
        guard let shard = shards[done.shard] else {
            throw JobError(.invalid, "shard \(done.shard) is not in the plan", subject: done.shard.description)
        }
        let staging = directory.stagingFile(shard.id, attempt: attempt, worker: worker)
        do {
            try Self.checkRegularFile(staging)
            // A credential holder is not trusted with the job's data: everything is checked here, as resume does.
            _ = try ShardAudit.verify(
                path: staging, shard: shard, plan: plan, identity: identity, checksum: done.resultChecksum,
                content: true)
            let final = directory.shardFile(shard.id)
            try AtomicFile.commit(temporary: staging, to: final, syncDirectory: false)
            return Path.directory(of: final)
        } catch let error as CoordinatorError {
            unlink(staging) // the shard is redone after the pause, not charged
            throw error
        } catch {
            unlink(staging)
            // Out of descriptors (outsiders holding connections) or memory: the coordinator's failure, not
            // the file's (the verifier's error does not carry the errno, so the process is asked).
            if DescriptorLimit.isExhausted { throw Self.shortOfResources(staging, error) }
            throw error
        }
    }

    /// Opens the staging file as the verifier will, without following a symbolic link and without
    /// blocking: a link or anything but a regular file is refused (`shard.open`), and a lack of
    /// descriptors or memory is the coordinator's (`coordinator.resources`).
    private static func checkRegularFile(_ path: String) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY)
        guard fd >= 0 else {
            let code = errno
            let error = FileError(.open, path: path, errno: code)
            if DescriptorLimit.isExhaustion(code) { throw shortOfResources(path, error) }
            throw ShardError(
                .open, path: path,
                detail: code == ELOOP ? "it is a symbolic link, which is never followed in a job directory" : "\(error)"
            )
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
            throw ShardError(.open, path: path, detail: "it is \(FileBytes.kind(of: info.st_mode)), not a regular file")
        }
    }

    private static func shortOfResources(_ path: String, _ error: any Error) -> CoordinatorError {
        CoordinatorError(
            .resources,
            "the coordinator could not verify \(path) for lack of its own file descriptors or memory (\(error))",
            subject: path,
            remedy: "the attempt is redone and not charged; raise the coordinator's `ulimit -n` if this persists")
    }

    public func discard(_ id: ShardID, attempt: Int, worker: String) {
        unlink(directory.stagingFile(id, attempt: attempt, worker: worker))
    }

    public func removeLeftovers() { directory.removeTemporaryFiles() }
}
