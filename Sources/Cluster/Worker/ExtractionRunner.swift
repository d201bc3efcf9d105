import Extract
import Job
import Launch
import Shards
import TagoodSupport
import Transport

/// Extraction assignments: the shard's images through a ``ShardProducer`` into the attempt's staging
/// file (``JobDirectory/stagingFile(_:attempt:worker:)``), which only the coordinator moves into the
/// shard's place.
public final class ExtractionRunner: AssignmentRunner {
    public let producer: ShardProducer
    public let jobDirectory: JobDirectory
    public let settings: ExtractionSettings

    public init(producer: ShardProducer, jobDirectory: JobDirectory, settings: ExtractionSettings) {
        self.producer = producer
        self.jobDirectory = jobDirectory
        self.settings = settings
    }

    public var kind: TaskKind { .extract }
    public var outputFolder: String { jobDirectory.shardsFolder }
    public var modelHash: String { producer.modelHash }
    public var device: String? { producer.device }

    public func run(
        _ assign: ProtocolMessage.Assign, jobID: String, worker: String, control: AssignmentControl
    ) throws -> AssignmentResult {
        guard case .extract(let task) = assign.task else {
            throw ClusterError(.task, "assignment \(assign.shard) is a \(assign.task.kind.rawValue) task, not extract")
        }
        let staging = jobDirectory.stagingFile(assign.shard, attempt: assign.attempt, worker: worker)
        let metadata = producer.metadata(
            jobID: jobID, datasetHash: task.datasetHash, shardIndex: assign.shard.index,
            dataset: assign.shard.dataset, role: task.role, settings: settings)
        let work = ShardWork(
            metadata: metadata, attempt: assign.attempt, root: task.root, paths: task.paths,
            labels: task.labels, output: .staging(staging))
        let summary = try producer.produce(work, progress: control.progress)
        return AssignmentResult(
            stagingFile: staging, resultChecksum: summary.fileChecksum, images: summary.images,
            failedImages: summary.failedImages, tokens: summary.tokens)
    }
}
