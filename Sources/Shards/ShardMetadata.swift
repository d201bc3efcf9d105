import TagoodSupport

/// Which side of the OOD evaluation a shard's dataset is on; stored in the `role` attribute. It is
/// TagoodSupport's ``DatasetRole``, the one role type of every module.
public typealias ShardRole = DatasetRole

/// The root attributes of a shard that describe where its images came from and how they were processed.
///
/// `schema_version`, `token_dtype`, `content_checksum` and `complete` are managed by the writer.
public struct ShardMetadata: Sendable, Equatable, Codable {
    /// `job_id`: the job that produced the shard.
    public var jobID: String
    /// `plan_hash` (the attribute keeps its name): the hash of this shard's *dataset* in the plan
    /// (`PlannedDataset.hash`: its image list and shard size), so adding a dataset to a job leaves the
    /// other datasets' shards valid. The whole plan's hash is the journal's `planHash`.
    public var datasetHash: String
    /// `shard_index`: the shard's index in its dataset's plan.
    public var shardIndex: Int
    /// `dataset`: the dataset name from the job spec.
    public var dataset: String
    /// `role`: in-distribution train/val or OOD.
    public var role: ShardRole
    /// `model_name`: such as `ram_swin_large_14m`.
    public var modelName: String
    /// `model_hash`: the hash of the model weights.
    public var modelHash: String
    /// `preprocessing`: a description of the image transform.
    public var preprocessing: String
    /// `tag_threshold`: the tag probability threshold used for selection.
    public var tagThreshold: Double
    /// `attention_threshold`: the attention threshold used for token selection.
    public var attentionThreshold: Double
    /// `embed_dim`: the width of `tokens` and `global_embed` (512 for RAM).
    public var embedDim: Int
    /// `image_tokens`: the width of `attention` and the range of `token_index` (145 at 384 px).
    public var imageTokens: Int
    /// `created_by`: the writing program and version.
    public var createdBy: String
    /// `all_tags`: how many tags the model has, when the shard stores every tag's probability of every
    /// image in `all_tag_probs` (the job's `extract.all_tag_probs: true`); nil, and no attribute, otherwise.
    public var allTags: Int?

    /// Creates metadata; `imageTokens` defaults to RAM at 384 px, `createdBy` to this tagood.
    public init(
        jobID: String, datasetHash: String, shardIndex: Int, dataset: String, role: ShardRole,
        modelName: String, modelHash: String, preprocessing: String, tagThreshold: Double,
        attentionThreshold: Double, embedDim: Int = 512, imageTokens: Int = 145,
        createdBy: String = TagoodVersion.createdBy, allTags: Int? = nil
    ) {
        self.jobID = jobID
        self.datasetHash = datasetHash
        self.shardIndex = shardIndex
        self.dataset = dataset
        self.role = role
        self.modelName = modelName
        self.modelHash = modelHash
        self.preprocessing = preprocessing
        self.tagThreshold = tagThreshold
        self.attentionThreshold = attentionThreshold
        self.embedDim = embedDim
        self.imageTokens = imageTokens
        self.createdBy = createdBy
        self.allTags = allTags
    }
}
