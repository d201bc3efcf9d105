import Tensor

/// What one batch of images gives: RAM's `image_embeds` and the tag probabilities.
public struct RAMOutput: Sendable {
    /// `[N, L + 1, encoderWidth]`: row 0 of each image is the pooled token (145 × 512 for RAM at 384 px).
    public var imageEmbeds: Tensor
    /// `[N, numTags]`: sigmoid(fc(...)) for every tag.
    public var probabilities: Tensor
}

/// The Recognize Anything Model's forward pass: Swin encoder → `image_proj` → tagging head.
///
/// The model is immutable once built, so one instance may serve several threads. Every method blocks
/// in OpenBLAS: call it from threads you own (not from Swift concurrency tasks), and size OpenBLAS's
/// pool with ``BLAS/setThreadCount(_:)``.
public final class RAMModel: Sendable {
    public let config: RAMConfig
    /// XXH64 of the weights in canonical form (see ``RAMWeights/canonicalHash()``), or of the file
    /// when loaded through ``load(path:config:)`` and asked for.
    public let weightsHash: String
    let encoder: SwinEncoder
    let imageProjection: Linear
    let head: TaggingHead

    /// Builds the model, consuming the weights (each array is freed as it is copied in).
    public init(weights: consuming RAMWeights) {
        config = weights.config
        weightsHash = weights.canonicalHash()
        var source = ParameterSource(tensors: weights.tensors)
        weights.tensors = [:]
        encoder = SwinEncoder(&source, config: config.vision)
        imageProjection = Linear(&source, "image_proj")
        head = TaggingHead(&source, config: config.head)
    }

    /// Loads a safetensors or PyTorch checkpoint for `config` (checked tensor by tensor).
    public static func load(path: String, config: RAMConfig) throws(ModelError) -> RAMModel {
        let stateDict = try StateDict.load(path: path)
        return RAMModel(weights: try RAMWeights(config: config, stateDict: stateDict))
    }

    /// The number of rows of `image_embeds` per image.
    public var imageTokens: Int { config.imageTokens }

    private func checkImages(_ images: Tensor) throws(ModelError) -> Int {
        let r = config.vision.imageResolution, c = config.vision.inputChannels
        guard images.rank == 4, images.shape[1] == c, images.shape[2] == r, images.shape[3] == r else {
            throw .invalidInput("images have shape \(images.shape); model \(config.name) expects [N, \(c), \(r), \(r)]")
        }
        return images.shape[0]
    }

    /// `image_embeds` `[N, L + 1, encoderWidth]` for preprocessed images `[N, 3, H, W]`.
    public func encodeImages(_ images: Tensor) throws(ModelError) -> Tensor {
        let n = try checkImages(images)
        let l1 = imageTokens, c = config.vision.visionWidth, e = config.head.encoderWidth
        let scratch = Scratch()
        let features = scratch.allocate(n * l1 * c)
        images.withUnsafeBufferPointer { encoder.forward($0.baseAddress!, count: n, into: features) }
        return Tensor(shape: [n, l1, e]) { out in
            imageProjection(features, rows: n * l1, into: out.baseAddress!)
        }
    }

    /// Tag probabilities `[N, numTags]` from `image_embeds` `[N, L + 1, encoderWidth]`; with `tags`, only
    /// those tags' (`[N, tags.count]`, in that order): each tag is computed on its own, so a subset costs
    /// only its share (TaggingHead).
    public func tagProbabilities(imageEmbeds: Tensor, tags: [Int]? = nil) throws(ModelError) -> Tensor {
        let l1 = imageTokens, e = config.head.encoderWidth
        guard imageEmbeds.rank == 3, imageEmbeds.shape[1] == l1, imageEmbeds.shape[2] == e else {
            throw .invalidInput("image_embeds have shape \(imageEmbeds.shape); expected [N, \(l1), \(e)]")
        }
        try checkTags(tags)
        let n = imageEmbeds.shape[0], t = tags?.count ?? config.head.numTags, d = config.head.hiddenSize
        let scratch = Scratch()
        let work = HeadWorkspace(scratch: scratch, config: config.head, tokens: l1)
        return Tensor(shape: [n, t]) { out in
            imageEmbeds.withUnsafeBufferPointer { emb in
                // RAM++: every image's queries in one batched pass first.
                var queries: (x: UnsafeMutablePointer<Float>, q0: UnsafeMutablePointer<Float>)?
                if head.reweighting != nil, n > 0, t > 0 {
                    let x = scratch.allocate(n * t * d), q0 = scratch.allocate(n * t * d)
                    head.imageQueries(emb.baseAddress!, images: n, tokens: l1, tags: tags, x: x, q0: q0)
                    queries = (x, q0)
                }
                for i in 0..<n {
                    head.probabilities(
                        emb.baseAddress! + i * l1 * e, tokens: l1, tags: tags, into: out.baseAddress! + i * t,
                        work: work,
                        imageQueries: queries.map {
                            (UnsafePointer($0.x + i * t * d), UnsafePointer($0.q0 + i * t * d))
                        })
                }
            }
        }
    }

    /// Whether any of `tags` has a probability above `threshold` for image `image` of a batch's
    /// `image_embeds`: computed `chunk` tags at a time, stopping at the first chunk where one does.
    public func anyTagFires(
        imageEmbeds: Tensor, image: Int, tags: [Int], threshold: Float, chunk: Int = 256
    ) throws(ModelError) -> Bool {
        let l1 = imageTokens, e = config.head.encoderWidth
        guard imageEmbeds.rank == 3, imageEmbeds.shape[1] == l1, imageEmbeds.shape[2] == e, image >= 0,
            image < imageEmbeds.shape[0]
        else {
            throw .invalidInput("image_embeds \(imageEmbeds.shape) has no image \(image) of shape [\(l1), \(e)]")
        }
        try checkTags(tags)
        let scratch = Scratch()
        let work = HeadWorkspace(scratch: scratch, config: config.head, tokens: l1)
        let probs = scratch.allocate(max(1, chunk))
        let d = config.head.hiddenSize
        let (x, q0) = (scratch.allocate(max(1, chunk) * d), scratch.allocate(max(1, chunk) * d))
        return imageEmbeds.withUnsafeBufferPointer { emb in
            var start = 0
            while start < tags.count {
                let part = Array(tags[start..<min(start + chunk, tags.count)])
                let embeds = emb.baseAddress! + image * l1 * e
                var queries: (x: UnsafePointer<Float>, q0: UnsafePointer<Float>)?
                if head.reweighting != nil {
                    head.imageQueries(embeds, images: 1, tokens: l1, tags: part, x: x, q0: q0)
                    queries = (UnsafePointer(x), UnsafePointer(q0))
                }
                head.probabilities(embeds, tokens: l1, tags: part, into: probs, work: work, imageQueries: queries)
                if (0..<part.count).contains(where: { probs[$0] > threshold }) { return true }
                start += part.count
            }
            return false
        }
    }

    private func checkTags(_ tags: [Int]?) throws(ModelError) {
        let t = config.head.numTags
        if let bad = tags?.first(where: { $0 < 0 || $0 >= t }) {
            throw .invalidInput("tag index \(bad) outside 0..<\(t)")
        }
    }

    /// The whole forward pass for a batch of preprocessed images `[N, 3, H, W]`.
    public func forward(images: Tensor) throws(ModelError) -> RAMOutput {
        let embeds = try encodeImages(images)
        return RAMOutput(imageEmbeds: embeds, probabilities: try tagProbabilities(imageEmbeds: embeds))
    }

    /// Layer 0's cross-attention probabilities `[heads, tags.count, L + 1]` of image `image` of a batch's
    /// `image_embeds` `[N, L + 1, encoderWidth]`, for the given tag indices (recomputed from the cached
    /// layer-0 queries and that image's keys; nothing is kept per batch).
    public func layer0Attention(imageEmbeds: Tensor, image: Int, tags: [Int]) throws(ModelError) -> Tensor {
        let l1 = imageTokens, e = config.head.encoderWidth, t = config.head.numTags
        guard imageEmbeds.rank == 3, imageEmbeds.shape[1] == l1, imageEmbeds.shape[2] == e, image >= 0,
            image < imageEmbeds.shape[0]
        else {
            throw .invalidInput("image_embeds \(imageEmbeds.shape) has no image \(image) of shape [\(l1), \(e)]")
        }
        if let bad = tags.first(where: { $0 < 0 || $0 >= t }) {
            throw .invalidInput("tag index \(bad) outside 0..<\(t)")
        }
        let heads = config.head.numHeads
        if tags.isEmpty { return Tensor(shape: [heads, 0, l1]) }
        return Tensor(shape: [heads, tags.count, l1]) { out in
            imageEmbeds.withUnsafeBufferPointer { emb in
                head.layer0Attention(emb.baseAddress! + image * l1 * e, tokens: l1, tags: tags, into: out.baseAddress!)
            }
        }
    }
}
