import Extract
import Shards
import Transport
#if canImport(Glibc)
import Glibc
#endif

/// Extraction assignments: the shard's images through a ``ShardProducer`` into a private staging file
/// beside the shard's place, which only the coordinator moves into it.
public final class ExtractionRunner: AssignmentRunner {
    public let producer: ShardProducer
    public let jobDirectory: JobDirectory
    public let settings: ExtractionSettings

    public init(producer: ShardProducer, jobDirectory: JobDirectory, settings: ExtractionSettings) {
        self.producer = producer
        self.jobDirectory = jobDirectory
        self.settings = settings
    }

    public var task: Assign.Task { .extract }
    public var modelHash: String { producer.modelHash }

    public func run(_ assign: Assign, jobID: String, control: AssignmentControl) throws -> AssignmentResult {
        // A private staging file per attempt: only the coordinator moves it into the shard's place.
        let stagingRelative = "\(assign.path).tmp-a\(assign.attempt)-\(getpid())"
        let metadata = ShardMetadata(
            jobID: jobID, planHash: assign.datasetHash, shardIndex: assign.shard.index, dataset: assign.shard.dataset,
            role: ShardRole(rawValue: assign.role) ?? .ood, modelName: producer.modelName, modelHash: producer.modelHash,
            preprocessing: "Resize((392, 392)) bilinear antialias (Pillow), CenterCrop(384), ToTensor, Normalize(ImageNet)",
            tagThreshold: settings.tagThreshold, attentionThreshold: settings.attentionThreshold,
            embedDim: producer.embedDim, imageTokens: producer.imageTokens)
        let work = ShardWork(metadata: metadata, attempt: assign.attempt, root: assign.root, paths: assign.paths,
                             labels: assign.labels, outputPath: jobDirectory.resolve(stagingRelative))
        let summary = try producer.produce(work, progress: control.progress)
        return AssignmentResult(path: stagingRelative, isStaging: true, checksum: summary.fileChecksum, images: summary.images,
                                failedImages: summary.failedImages, tokens: summary.tokens)
    }
}
