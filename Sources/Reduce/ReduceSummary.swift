import TagoodSupport

/// `reduce/summary.json`: what the reduce found and computed, read by `tagood report`. It depends only
/// on the job's shards and the options, never on timing, so a re-run writes the same file.
public struct ReduceSummary: Codable, Sendable, Equatable {
    /// One scored or center-source dataset.
    public struct Dataset: Codable, Sendable, Equatable {
        public var name: String
        public var role: String
        /// Images in the plan, failed images (unreadable; not scored), readable images without tokens.
        public var images: Int, failed: Int, noTokens: Int
        /// Images scored (readable ones); nil for a center-only dataset.
        public var scored: Int?
        /// Top-1 accuracy from the nearest center (`id-val` datasets).
        public var top1Accuracy: Double?
        /// The scores file, relative to the job directory.
        public var scoresFile: String?
        /// The report group of an OOD set (`near`, `far`: the job file's `group:`), nil when it has none.
        public var group: String?

        enum CodingKeys: String, CodingKey {
            case name, role, images, failed, scored, group
            case noTokens = "no_tokens", top1Accuracy = "top1_accuracy", scoresFile = "scores_file"
        }
    }

    public struct Column: Codable, Sendable, Equatable {
        public var name: String
        public var title: String
        public var definition: String
    }

    public var schemaVersion = 1
    public var createdBy = TagoodVersion.createdBy
    public var planHash: String
    public var centersSourceJob: String
    public var centersSourceDatasets: [String]
    public var classes: Int
    public var embedDim: Int
    public var knnBank: Int
    public var knnK: Int
    public var mahalanobisRidge: [String: Double]
    public var columns: [Column]
    public var datasets: [Dataset]
    /// Top-1 accuracy over every `id-val` image with a label, nil when there is none.
    public var top1Accuracy: Double?
    public var notes: [String]

    enum CodingKeys: String, CodingKey {
        case schemaVersion = "schema_version", createdBy = "created_by", planHash = "plan_hash"
        case centersSourceJob = "centers_source_job", centersSourceDatasets = "centers_source_datasets"
        case classes, embedDim = "embed_dim", knnBank = "knn_bank", knnK = "knn_k"
        case mahalanobisRidge = "mahalanobis_ridge", columns, datasets, top1Accuracy = "top1_accuracy", notes
    }
}
