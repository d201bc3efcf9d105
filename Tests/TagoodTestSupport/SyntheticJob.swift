import Datasets
import Job
import Shards
import TagoodSupport

/// Writes a complete job directory (plan.json, committed shards, journal.jsonl) from in-memory records,
/// as `tagood launch` would leave it. For the reducer's tests and `tagood-bench reduce`.
public enum SyntheticJob {
    /// One dataset's images.
    public struct Dataset: Sendable {
        public var name: String
        public var role: DatasetRole
        /// Class names (in-distribution datasets; the labels index them).
        public var classes: [String]
        /// The records, in order; their `path` and `label` become the plan's image list.
        public var records: [ShardRecord]
        /// The shards' `model_name`.
        public var modelName: String
        /// The report group (OOD sets).
        public var group: String?

        public init(
            name: String, role: DatasetRole, classes: [String] = [], records: [ShardRecord],
            modelName: String = "synthetic", group: String? = nil
        ) {
            self.name = name
            self.role = role
            self.classes = classes
            self.records = records
            self.modelName = modelName
            self.group = group
        }
    }

    /// Writes the job at `path` (created if needed) with `imagesPerShard` images per shard; returns the
    /// plan. Every shard is committed in the journal with its file checksum.
    @discardableResult
    public static func write(
        at path: String, datasets: [Dataset], imagesPerShard: Int, embedDim: Int, imageTokens: Int = 145,
        tokenDType: TokenDType = .float16, tagThreshold: Double = 0.68
    ) throws -> ShardPlan {
        var planned: [PlannedDataset] = []
        for d in datasets {
            let spec = DatasetSpec(
                name: d.name, role: d.role, layout: d.role == .ood ? .nested : .imageFolder,
                root: "/synthetic/\(d.name)", group: d.group)
            let images = ImageList(paths: d.records.map(\.path), labels: d.records.map(\.label), classes: d.classes)
            planned.append(try ShardPlan.plan(spec, images: images, imagesPerShard: imagesPerShard))
        }
        let plan = try ShardPlan(imagesPerShard: imagesPerShard, datasets: planned)
        let directory = JobDirectory(path)
        try directory.create(for: plan)
        try plan.write(to: directory.planFile)
        let journal = try Journal(path: directory.journalFile)
        try journal.append(JournalRecord(.started, time: 0, planHash: plan.hash))
        for (dataset, source) in zip(plan.datasets, datasets) {
            for range in dataset.shards {
                let id = ShardID(dataset: dataset.spec.name, index: range.index)
                let metadata = ShardMetadata(
                    jobID: "synthetic", datasetHash: dataset.hash, shardIndex: range.index, dataset: dataset.spec.name,
                    role: dataset.spec.role, modelName: source.modelName, modelHash: "none",
                    preprocessing: "none", tagThreshold: tagThreshold, attentionThreshold: 0.5, embedDim: embedDim,
                    imageTokens: imageTokens)
                let writer = try ShardWriter(
                    path: directory.shardFile(id), metadata: metadata,
                    options: .init(tokenDType: tokenDType))
                for record in source.records[range.images] { try writer.append(record) }
                let summary = try writer.commit()
                try journal.append(
                    JournalRecord(
                        .committed, time: 0, shard: id,
                        attempt: 1, worker: "synthetic", checksum: summary.fileChecksum,
                        images: summary.images, failedImages: summary.failedImages, tokens: summary.tokens))
            }
        }
        try journal.append(JournalRecord(.finished, time: 0))
        return plan
    }
}
