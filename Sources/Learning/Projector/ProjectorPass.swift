/// What one forward pass keeps for its backward pass: every block's activations, the dropout masks, the
/// feature f and the logits. Reused from batch to batch (its matrices only grow).
public final class ProjectorPass<T: LearningScalar>: @unchecked Sendable {
    /// One encoder block's activations.
    final class Block {
        var queries: QueryRows = .all
        /// LN₁ output, its 1/σ, the in-projection's output and the attention probabilities.
        let normalised = Matrix<T>(), inverseStd1 = Matrix<T>(), qkv = Matrix<T>(), probabilities = Matrix<T>()
        var probabilityOffsets: [Int] = []
        /// The heads' outputs, then h = x + dropout(out_proj(…)), LN₂(h) and its 1/σ.
        let attention = Matrix<T>(), residual = Matrix<T>(), normalised2 = Matrix<T>(), inverseStd2 = Matrix<T>()
        /// The MLP's pre-activation, its (dropped-out) GELU and the block's output.
        let hidden = Matrix<T>(), activated = Matrix<T>(), output = Matrix<T>()
        /// Dropout scales (0 or 1/(1 − p)) after attention, after GELU and after the MLP.
        let mask1 = Matrix<T>(), mask2 = Matrix<T>(), mask3 = Matrix<T>()
        /// The block input's query rows (for `.first`, the CLS rows gathered).
        let queryInput = Matrix<T>()
    }

    var layout = RaggedBatch(lengths: [])
    var training = false
    /// image_proj's output `[Σk × W]`, the embedded sequences `[rows × W]` and their dropout scales.
    let projected = Matrix<T>(), embedded = Matrix<T>(), mask0 = Matrix<T>()
    var blocks: [Block] = []
    /// The final LayerNorm's 1/σ, the feature f `[B × W]` and the logits `[B × C]`.
    let inverseStdFinal = Matrix<T>()
    public let features = Matrix<T>()
    public let logits = Matrix<T>()

    public init() {}
}

/// The backward pass's scratch matrices, reused from batch to batch.
final class ProjectorScratch<T: LearningScalar>: @unchecked Sendable {
    let a = Matrix<T>(), b = Matrix<T>(), c = Matrix<T>(), d = Matrix<T>(), wide = Matrix<T>(), qkv = Matrix<T>()
    let normalised = Matrix<T>(), attention = Matrix<T>()
    let featureGradient = Matrix<T>()
    let attentionScratch = Matrix<T>()
}
