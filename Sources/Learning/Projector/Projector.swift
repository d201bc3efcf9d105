import TagoodSupport
import Tensor

/// TagOOD's projector: `image_proj`, a CLS token and positions, pre-LN encoder blocks with masked
/// multi-head self-attention, a final LayerNorm whose CLS output is the feature f, and the classifier.
///
/// It runs on ragged batches (``RaggedBatch``): the same numbers as the authors' padded batches, without
/// computing the padding. The last block computes only the CLS rows, the only ones f depends on.
public final class Projector<T: LearningScalar>: @unchecked Sendable {
    public let config: ProjectorConfig
    public let parameters: ParameterSet<T>

    public init(config: ProjectorConfig, parameters: ParameterSet<T>? = nil) {
        self.config = config
        self.parameters = parameters ?? ParameterSet(config: config)
    }

    /// Dropout for a training pass: the run's seed, and the step that makes this pass's masks.
    public struct DropoutDraw: Sendable {
        public var seed: UInt64
        public var step: UInt64
        public init(seed: UInt64, step: UInt64) { self.seed = seed; self.step = step }
    }

    /// The forward pass of `batch` into `pass`: f in `pass.features`, the logits in `pass.logits`. With
    /// `dropout`, in training mode (dropout p = `config.dropout`); without, in eval mode.
    @_specialize(exported:true,where T == Float)
    public func forward(_ batch: ProjectorBatch<T>, into pass: ProjectorPass<T>, dropout draw: DropoutDraw? = nil) {
        let w = config.width, layout = batch.layout
        let p = parameters
        precondition(
            batch.inputWidth == config.inputWidth,
            "projector: tokens are \(batch.inputWidth) wide, the projector takes \(config.inputWidth)")
        precondition(
            batch.tokenCounts.allSatisfy { $0 <= config.maxTokens },
            "projector: an image has more than \(config.maxTokens) tokens")
        pass.layout = layout
        pass.training = draw != nil && config.dropout > 0
        let dropout = draw.map { Dropout(p: config.dropout, seed: $0.seed) }
        var site: UInt64 = 0
        func drop(_ m: Matrix<T>, _ scales: Matrix<T>, count: Int) {
            guard pass.training, let dropout, let draw else { return }
            scales.resize(rows: 1, columns: count)
            dropout.fillScales(scales.pointer, count: count, step: draw.step, site: site)
            site += 1
            for e in 0..<count { m.pointer[e] *= scales.pointer[e] }
        }

        // image_proj, CLS token, positions.
        let n = batch.tokens.rows
        pass.projected.resize(rows: n, columns: w)
        Linear.forward(
            batch.tokens.pointer, rows: n, in: config.inputWidth, out: w, weight: p["image_proj.weight"],
            bias: p["image_proj.bias"], into: pass.projected.pointer)
        pass.embedded.resize(rows: layout.totalRows, columns: w)
        let cls = p["cls_token"], pos = p["layers.pos_embedding"]
        var tokenRow = 0
        for i in 0..<layout.count {
            let start = layout.starts[i]
            let row0 = pass.embedded.row(start)
            for j in 0..<w { row0[j] = cls[j] + pos[j] }
            for t in 0..<(layout.lengths[i] - 1) {
                let src = pass.projected.row(tokenRow + t), dst = pass.embedded.row(start + 1 + t),
                    pr = pos + (t + 1) * w
                for j in 0..<w { dst[j] = src[j] + pr[j] }
            }
            tokenRow += layout.lengths[i] - 1
        }
        drop(pass.embedded, pass.mask0, count: layout.totalRows * w)

        // The blocks: all rows, then only the CLS rows in the last.
        while pass.blocks.count < config.layers { pass.blocks.append(.init()) }
        var input = pass.embedded
        for l in 0..<config.layers {
            let block = pass.blocks[l]
            block.queries = l == config.layers - 1 ? .first : .all
            forwardBlock(l, input: input, layout: layout, block: block) { m, scales, count in
                drop(m, scales, count: count)
            }
            input = block.output
        }

        // Final LayerNorm (f) and the classifier.
        let b = layout.count
        pass.features.resize(rows: b, columns: w)
        pass.inverseStdFinal.resize(rows: b, columns: 1)
        LayerNorm.forward(
            input.pointer, rows: b, width: w, gamma: p["layers.ln.weight"], beta: p["layers.ln.bias"],
            eps: T(config.eps),
            into: pass.features.pointer, inverseStd: pass.inverseStdFinal.pointer)
        pass.logits.resize(rows: b, columns: config.classes)
        Linear.forward(
            pass.features.pointer, rows: b, in: w, out: config.classes, weight: p["classifier.weight"],
            bias: p["classifier.bias"], into: pass.logits.pointer)
    }

    @_specialize(exported:true,where T == Float)
    private func forwardBlock(
        _ l: Int, input x: Matrix<T>, layout: RaggedBatch, block: ProjectorPass<T>.Block,
        drop: (Matrix<T>, Matrix<T>, Int) -> Void
    ) {
        let p = parameters, prefix = ProjectorConfig.blockPrefix(l)
        let w = config.width, m = config.mlpWidth, rows = layout.totalRows
        let queries = block.queries, rq = queries.count(layout)
        let eps = T(config.eps)

        block.normalised.resize(rows: rows, columns: w)
        block.inverseStd1.resize(rows: rows, columns: 1)
        LayerNorm.forward(
            x.pointer, rows: rows, width: w, gamma: p[prefix + "ln_1.weight"], beta: p[prefix + "ln_1.bias"], eps: eps,
            into: block.normalised.pointer, inverseStd: block.inverseStd1.pointer)
        block.qkv.resize(rows: rows, columns: 3 * w)
        Linear.forward(
            block.normalised.pointer, rows: rows, in: w, out: 3 * w,
            weight: p[prefix + "self_attention.in_proj_weight"],
            bias: p[prefix + "self_attention.in_proj_bias"], into: block.qkv.pointer)
        let (offsets, total) = MultiHeadAttention.probabilityOffsets(layout, queries: queries, heads: config.heads)
        block.probabilityOffsets = offsets
        block.probabilities.resize(rows: 1, columns: total)
        block.attention.resize(rows: rq, columns: w)
        MultiHeadAttention.forward(
            qkv: block.qkv.pointer, batch: layout, queries: queries, width: w, heads: config.heads,
            probabilities: block.probabilities.pointer, offsets: offsets, into: block.attention.pointer)
        // h = x + dropout(out_proj(attention))
        block.residual.resize(rows: rq, columns: w)
        Linear.forward(
            block.attention.pointer, rows: rq, in: w, out: w, weight: p[prefix + "self_attention.out_proj.weight"],
            bias: p[prefix + "self_attention.out_proj.bias"], into: block.residual.pointer)
        drop(block.residual, block.mask1, rq * w)
        let queryInput = self.queryInput(x, layout: layout, queries: queries, scratch: block.queryInput)
        Self.add(queryInput.pointer, into: block.residual.pointer, rq * w)
        // y = h + dropout(mlp.3(dropout(GELU(mlp.0(LN₂(h))))))
        block.normalised2.resize(rows: rq, columns: w)
        block.inverseStd2.resize(rows: rq, columns: 1)
        LayerNorm.forward(
            block.residual.pointer, rows: rq, width: w, gamma: p[prefix + "ln_2.weight"], beta: p[prefix + "ln_2.bias"],
            eps: eps, into: block.normalised2.pointer, inverseStd: block.inverseStd2.pointer)
        block.hidden.resize(rows: rq, columns: m)
        Linear.forward(
            block.normalised2.pointer, rows: rq, in: w, out: m, weight: p[prefix + "mlp.0.weight"],
            bias: p[prefix + "mlp.0.bias"],
            into: block.hidden.pointer)
        block.activated.resize(rows: rq, columns: m)
        T.gelu(block.hidden.pointer, block.activated.pointer, rq * m)
        drop(block.activated, block.mask2, rq * m)
        block.output.resize(rows: rq, columns: w)
        Linear.forward(
            block.activated.pointer, rows: rq, in: m, out: w, weight: p[prefix + "mlp.3.weight"],
            bias: p[prefix + "mlp.3.bias"],
            into: block.output.pointer)
        drop(block.output, block.mask3, rq * w)
        Self.add(block.residual.pointer, into: block.output.pointer, rq * w)
    }

    /// The block input's query rows: `x` itself, or its CLS rows gathered into `scratch`.
    @_specialize(exported:true,where T == Float)
    private func queryInput(_ x: Matrix<T>, layout: RaggedBatch, queries: QueryRows, scratch: Matrix<T>) -> Matrix<T> {
        guard case .first = queries else { return x }
        let w = config.width
        scratch.resize(rows: layout.count, columns: w)
        for i in 0..<layout.count { scratch.row(i).update(from: x.row(layout.starts[i]), count: w) }
        return scratch
    }

    @_specialize(exported:true,where T == Float)
    static func add(_ x: UnsafePointer<T>, into y: UnsafeMutablePointer<T>, _ n: Int) {
        for e in 0..<n { y[e] += x[e] }
    }
}
