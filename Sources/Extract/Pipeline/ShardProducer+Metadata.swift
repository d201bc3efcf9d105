import Shards

extension ShardProducer {
    /// The shard attribute `preprocessing`: TagOOD's evaluation transform, which every producer applies
    /// (``TagOODTransform``).
    public static var preprocessing: String {
        "Resize((392, 392)) bilinear antialias (Pillow), CenterCrop(384), ToTensor, Normalize(ImageNet)"
    }

    /// The metadata of shard `shardIndex` of `dataset` as this producer writes it with `settings`: its model,
    /// widths and stored tags, the transform and the selection thresholds. The one place `tagood extract`
    /// and a cluster's extraction workers (`ExtractionRunner`) make a shard's metadata.
    public func metadata(
        jobID: String, datasetHash: String, shardIndex: Int, dataset: String, role: ShardRole,
        settings: ExtractionSettings
    ) -> ShardMetadata {
        ShardMetadata(
            jobID: jobID, datasetHash: datasetHash, shardIndex: shardIndex, dataset: dataset, role: role,
            modelName: modelName, modelHash: modelHash, preprocessing: Self.preprocessing,
            tagThreshold: settings.tagThreshold, attentionThreshold: settings.attentionThreshold,
            embedDim: embedDim, imageTokens: imageTokens, allTags: allTags)
    }
}
