import Datasets
import Job
import Reduce
import TagoodSupport
import Transport

#if canImport(Glibc)
import Glibc
import Launch
#endif

/// `tagood worker --reduce`: builds the partial of each assigned shard into `<job>/reduce/partials`.
public final class ReduceRunner: AssignmentRunner {
    public let jobDirectory: JobDirectory
    /// Whether to verify each shard's checksums before reading it.
    public let verify: Bool
    private let delayMilliseconds = Failpoints.integer("delay-per-shard-ms")

    /// A runner for the job in `jobDirectory`. `TAGOOD_FAILPOINTS=delay-per-shard-ms=<n>` (tests only)
    /// makes it sleep `n` ms, cancellably, before each shard.
    public init(jobDirectory: JobDirectory, verify: Bool) {
        self.jobDirectory = jobDirectory
        self.verify = verify
        MemoryReuse.keepFreedBlocks() // shard after shard, like the local reduce
    }

    public var kind: TaskKind { .reduce }
    public var outputFolder: String { jobDirectory.partialsFolder }
    /// Partials do not depend on the model.
    public var modelHash: String { "reduce" }

    public func run(
        _ assign: ProtocolMessage.Assign, jobID: String, worker: String, control: AssignmentControl
    ) throws -> AssignmentResult {
        guard case .reduce(let task) = assign.task else {
            throw ClusterError(.task, "assignment \(assign.shard) is a \(assign.task.kind.rawValue) task, not reduce")
        }
        let shard = jobDirectory.committed(
            PlannedShard(id: assign.shard, role: task.role, datasetHash: task.datasetHash, range: task.range),
            checksum: task.checksum)
        var waited = 0
        while waited < delayMilliseconds {
            try control.checkCancelled()
            usleep(10_000)
            waited += 10
        }
        try control.checkCancelled()
        try PartialStore(directory: jobDirectory).ensure(shard, verify: verify)
        control.add(images: task.range.count)
        return AssignmentResult(
            stagingFile: nil, resultChecksum: task.checksum, images: task.range.count, failedImages: 0, tokens: 0)
    }
}
