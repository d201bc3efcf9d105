import Model
import Shards
import TagoodSupport

/// The `tagood-learned` score of TagOOD's class-center learning, from a training checkpoint:
/// f = the projector's feature of the image's tokens (eval mode, no dropout), cut into its patterns;
/// score = max over classes of the mean over patterns of cos(f_p, center_{c,p}), times the image's best
/// selected-tag probability; 0 for an image without tokens.
///
/// Thread-safe: the weights and centers are read-only, and each call works in its own buffers, so the
/// reducer's threads score shards side by side (with OpenBLAS at one thread each).
public final class LearnedScorer: @unchecked Sendable {
    public let projector: Projector<Float>
    public let checkpoint: TrainingCheckpoint?
    public let path: String
    /// The centers with each pattern L2-normalised, `[C × W]`, and pre-divided by the pattern count so
    /// that one product gives the mean cosine.
    let normalisedCenters: Matrix<Float>
    /// Images per forward pass.
    public var batchImages = 64

    /// Loads the projector and the centers of a `tagood train` checkpoint.
    public convenience init(checkpointPath: String) throws(LearningError) {
        let (checkpoint, stateDict) = try TrainingCheckpoint.read(path: checkpointPath)
        var config = checkpoint.config
        config.dropout = 0
        let projector = Projector<Float>(config: config)
        try projector.parameters.load(from: stateDict)
        let centers = ClassCenters<Float>(classes: config.classes, width: config.width)
        try TrainingCheckpoint.loadCenters(stateDict, into: centers)
        self.init(projector: projector, centers: centers, checkpoint: checkpoint, path: checkpointPath)
    }

    /// Scores with a projector and centers already in memory (`path` names them in errors). The
    /// projector runs in eval mode whatever its config's dropout.
    public init(
        projector: Projector<Float>, centers: ClassCenters<Float>, checkpoint: TrainingCheckpoint? = nil, path: String
    ) {
        let config = projector.config
        precondition(
            centers.classes == config.classes && centers.width == config.width,
            "LearnedScorer: \(centers.classes)×\(centers.width) centers for a \(config.classes)-class, \(config.width)-wide projector"
        )
        self.projector = projector
        normalisedCenters = Matrix(rows: config.classes, columns: config.width)
        normalisedCenters.pointer.update(from: centers.values.pointer, count: centers.values.count)
        Self.normalisePatterns(normalisedCenters, patterns: config.patterns, scale: 1 / Float(config.patterns))
        self.checkpoint = checkpoint
        self.path = path
    }

    /// Each row's `patterns` parts scaled to length `scale` (a zero part stays zero).
    static func normalisePatterns(_ m: Matrix<Float>, patterns: Int, scale: Float = 1) {
        let part = m.columns / patterns
        for r in 0..<m.rows {
            for p in 0..<patterns {
                let x = m.row(r) + p * part
                var s: Float = 0
                for j in 0..<part { s += x[j] * x[j] }
                let k = s > 0 ? scale / s.squareRoot() : 0
                for j in 0..<part { x[j] *= k }
            }
        }
    }

    /// The learned score of every image of `images` (tokens, and the best tag probability to multiply by).
    public func scores(_ images: [(tokens: [Float], tokenCount: Int, tagMax: Float)]) -> [Double] {
        let config = projector.config
        var out = [Double](repeating: 0, count: images.count)
        let pass = ProjectorPass<Float>()
        let batch = ProjectorBatch<Float>(inputWidth: config.inputWidth)
        let similarities = Matrix<Float>()
        var members: [Int] = []
        func flush() {
            guard batch.count > 0 else { return }
            projector.forward(batch, into: pass)
            Self.normalisePatterns(pass.features, patterns: config.patterns)
            similarities.resize(rows: batch.count, columns: config.classes)
            Float.gemm(
                false, true, m: batch.count, n: config.classes, k: config.width, pass.features.pointer, config.width,
                normalisedCenters.pointer, config.width, similarities.pointer, config.classes)
            for (row, i) in members.enumerated() {
                let s = similarities.row(row)
                var best = -Float.infinity
                for c in 0..<config.classes { best = max(best, s[c]) }
                out[i] = Double(best) * Double(images[i].tagMax)
            }
            batch.removeAll()
            members.removeAll()
        }
        for (i, image) in images.enumerated() where image.tokenCount > 0 {
            image.tokens.withUnsafeBufferPointer { batch.append(tokens: $0, tokenCount: image.tokenCount, label: -1) }
            members.append(i)
            if batch.count == batchImages { flush() }
        }
        flush()
        return out
    }

    /// The learned scores of the readable images of a shard, in shard order (the rows the reducer scores).
    public func scores(shard path: String, checksum: String) throws(LearningError) -> [Double] {
        var images: [(tokens: [Float], tokenCount: Int, tagMax: Float)] = []
        let width = projector.config.inputWidth, maxTokens = projector.config.maxTokens
        try TrainingShards.read(path, checksum: checksum) { (image: ShardImage) throws(LearningError) in
            guard image.status.isOK else { return }
            guard image.tokenCount == 0 || (image.embedDim == width && image.tokenCount <= maxTokens) else {
                throw LearningError(
                    .shard,
                    "shard \(path): image #\(image.index) has \(image.tokenCount) tokens of width \(image.embedDim); "
                        + "the projector (\(self.path)) takes at most \(maxTokens) of width \(width)", subject: path,
                    remedy: "score with a projector trained on this model's shards")
            }
            images.append((image.tokens, image.tokenCount, image.tagProbs.max() ?? 0))
        }
        return scores(images)
    }
}
