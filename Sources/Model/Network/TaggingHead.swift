import Tensor

/// One BERT layer of RAM's tagging head with its self-attention deleted: cross-attention from the tag
/// queries to the image embeddings, dense + residual LayerNorm, then the feed-forward + residual LayerNorm.
struct CrossAttentionLayer: Sendable {
    let query: Linear
    let key: Linear
    let value: Linear
    let attentionOutput: Linear
    let attentionNorm: LayerNorm
    let intermediate: Linear
    let output: Linear
    let outputNorm: LayerNorm

    init(_ source: inout ParameterSource, prefix: String, eps: Float) {
        query = Linear(&source, prefix + ".crossattention.self.query")
        key = Linear(&source, prefix + ".crossattention.self.key")
        value = Linear(&source, prefix + ".crossattention.self.value")
        attentionOutput = Linear(&source, prefix + ".crossattention.output.dense")
        attentionNorm = LayerNorm(&source, prefix + ".crossattention.output.LayerNorm", eps: eps)
        intermediate = Linear(&source, prefix + ".intermediate.dense")
        output = Linear(&source, prefix + ".output.dense")
        outputNorm = LayerNorm(&source, prefix + ".output.LayerNorm", eps: eps)
    }
}

/// The tagging head: tag queries (computed once) through the cross-attention layers, then `fc` and a
/// sigmoid.
struct TaggingHead: Sendable {
    let config: TaggingHeadConfig
    let layers: [CrossAttentionLayer]
    let fc: Linear
    /// relu(wordvec_proj(label_embed)): `[tags, hidden]`, the same for every image.
    let queries: ParameterBuffer
    /// Layer 0's projected queries `[tags, hidden]` (also image-independent).
    let layer0Queries: ParameterBuffer

    init(_ source: inout ParameterSource, config: TaggingHeadConfig) {
        self.config = config
        let labelEmbed = source.take("label_embed")
        let wordvec = Linear(&source, "wordvec_proj")
        layers = (0..<config.numLayers).map {
            CrossAttentionLayer(&source, prefix: "tagging_head.encoder.layer.\($0)", eps: config.layerNormEps)
        }
        fc = Linear(&source, "fc")
        let t = config.numTags, d = config.hiddenSize
        queries = ParameterBuffer(shape: [t, d]) { q in
            wordvec(labelEmbed.p, rows: t, into: q)
            Kernels.relu(q, t * d)
        }
        let q0 = layers[0].query
        let base = queries
        layer0Queries = ParameterBuffer(shape: [t, d]) { q in q0(base.p, rows: t, into: q) }
    }

    var headDim: Int { config.hiddenSize / config.numHeads }
    var scale: Float { 1 / Float(headDim).squareRoot() }

    /// Tag probabilities for one image's `image_embeds` `[L1, E]`: of every tag (`[numTags]`), or of
    /// `tags` only (`[tags.count]`, in that order).
    ///
    /// RAM deleted the head's self-attention, so every tag query goes through the layers on its own (each
    /// operation is per row: linear maps, cross-attention to the image, LayerNorm, GELU, `fc`): computing a
    /// subset gives those tags' probabilities without the others' cost.
    func probabilities(
        _ image: UnsafePointer<Float>, tokens l1: Int, tags: [Int]? = nil, into probs: UnsafeMutablePointer<Float>,
        work: HeadWorkspace
    ) {
        let t = tags?.count ?? config.numTags, d = config.hiddenSize, hd = headDim
        guard t > 0 else { return }
        let x = work.x, a = work.a, q = work.q, ctx = work.ctx
        if let tags {
            for (r, tag) in tags.enumerated() {
                (x + r * d).update(from: queries.p + tag * d, count: d)
                (q + r * d).update(from: layer0Queries.p + tag * d, count: d)
            }
        } else {
            x.update(from: queries.p, count: t * d)
        }
        for (i, layer) in layers.enumerated() {
            layer.key(image, rows: l1, into: work.k)
            layer.value(image, rows: l1, into: work.v)
            let qp: UnsafePointer<Float>
            if i == 0 {
                qp = tags == nil ? layer0Queries.p : UnsafePointer(q)
            } else {
                layer.query(x, rows: t, into: q); qp = UnsafePointer(q)
            }
            for h in 0..<config.numHeads {
                BLAS.parallelSgemm(
                    transposeB: true, m: t, n: l1, k: hd, alpha: scale, a: qp + h * hd, lda: d,
                    b: work.k + h * hd, ldb: d, c: work.scores, ldc: l1)
                parallelSoftmax(work.scores, rows: t, width: l1)
                BLAS.parallelSgemm(
                    m: t, n: hd, k: l1, a: work.scores, lda: l1, b: work.v + h * hd, ldb: d, c: ctx + h * hd, ldc: d)
            }
            a.update(from: x, count: t * d)
            layer.attentionOutput(ctx, rows: t, into: a, accumulate: true)
            layer.attentionNorm.inPlace(a, rows: t)
            layer.intermediate(a, rows: t, into: work.inter)
            parallelGELU(work.inter, t * config.intermediateSize)
            x.update(from: a, count: t * d)
            layer.output(work.inter, rows: t, into: x, accumulate: true)
            layer.outputNorm.inPlace(x, rows: t)
        }
        fc(x, rows: t, into: probs)
        Kernels.sigmoid(probs, t)
    }

    /// Layer 0's cross-attention probabilities `[heads, tags.count, L1]` for some tags of one image.
    func layer0Attention(
        _ image: UnsafePointer<Float>, tokens l1: Int, tags: [Int], into out: UnsafeMutablePointer<Float>
    ) {
        let d = config.hiddenSize, hd = headDim, k = tags.count
        guard k > 0 else { return }
        let scratch = Scratch()
        let keys = scratch.allocate(l1 * d)
        let q = scratch.allocate(k * d)
        layers[0].key(image, rows: l1, into: keys)
        for (r, tag) in tags.enumerated() { (q + r * d).update(from: layer0Queries.p + tag * d, count: d) }
        for h in 0..<config.numHeads {
            let block = out + h * k * l1
            BLAS.sgemm(
                transposeB: true, m: k, n: l1, k: hd, alpha: scale, a: q + h * hd, lda: d, b: keys + h * hd, ldb: d,
                c: block, ldc: l1)
            Kernels.softmaxRows(block, rows: k, width: l1)
        }
    }
}

/// Buffers for the head of one image, reused across the images of a batch.
final class HeadWorkspace {
    let x, a, q, ctx, inter, k, v, scores: UnsafeMutablePointer<Float>

    init(scratch: Scratch, config: TaggingHeadConfig, tokens l1: Int) {
        let t = config.numTags, d = config.hiddenSize
        x = scratch.allocate(t * d)
        a = scratch.allocate(t * d)
        q = scratch.allocate(t * d)
        ctx = scratch.allocate(t * d)
        inter = scratch.allocate(t * config.intermediateSize)
        k = scratch.allocate(l1 * d)
        v = scratch.allocate(l1 * d)
        scores = scratch.allocate(t * l1)
    }
}
