import Foundation
import TagoodSupport
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

/// RAM++'s per-image tag queries (`ram_plus.py`'s `generate_tag`): each tag's `descriptions` rows of
/// `label_embed` are mixed with the softmax, over them, of `exp(reweight_scale) · cls · rowᵀ`, where cls is
/// the image's L2-normalised pooled embedding.
struct QueryReweighting: Sendable {
    /// `[numTags · descriptions, encoderWidth]`.
    let labelEmbed: ParameterBuffer
    let descriptions: Int
    /// `exp(reweight_scale)`.
    let scale: Float
}

/// The tagging head: tag queries through the cross-attention layers, then `fc` and a sigmoid. RAM's queries
/// are the same for every image and computed once; RAM++'s depend on the image (``QueryReweighting``) and
/// are computed per batch by ``imageQueries(_:images:tokens:tags:x:q0:)``.
struct TaggingHead: Sendable {
    let config: TaggingHeadConfig
    let layers: [CrossAttentionLayer]
    let fc: Linear
    let wordvec: Linear
    /// RAM: relu(wordvec_proj(label_embed)), `[tags, hidden]`, the same for every image (nil for RAM++).
    let queries: ParameterBuffer?
    /// RAM: layer 0's projected queries `[tags, hidden]` (also image-independent; nil for RAM++).
    let layer0Queries: ParameterBuffer?
    /// RAM++'s reweighting (nil for RAM).
    let reweighting: QueryReweighting?

    init(_ source: inout ParameterSource, config: TaggingHeadConfig) {
        self.config = config
        let labelEmbed = source.take("label_embed")
        wordvec = Linear(&source, "wordvec_proj")
        layers = (0..<config.numLayers).map {
            CrossAttentionLayer(&source, prefix: "tagging_head.encoder.layer.\($0)", eps: config.layerNormEps)
        }
        fc = Linear(&source, "fc")
        switch config.tagger {
        case .ram:
            let t = config.numTags, d = config.hiddenSize, wordvec = self.wordvec
            let base = ParameterBuffer(shape: [t, d]) { q in
                wordvec(labelEmbed.p, rows: t, into: q)
                Kernels.relu(q, t * d)
            }
            let q0 = layers[0].query
            queries = base
            layer0Queries = ParameterBuffer(shape: [t, d]) { q in q0(base.p, rows: t, into: q) }
            reweighting = nil
        case .ramPlus(let descriptions):
            let scaleBuffer = source.take("reweight_scale")
            let scale = withExtendedLifetime(scaleBuffer) { scaleBuffer.p[0] }
            queries = nil
            layer0Queries = nil
            reweighting = QueryReweighting(labelEmbed: labelEmbed, descriptions: descriptions, scale: exp(scale))
        }
    }

    /// RAM++: the tag queries of `images` images of a batch's `image_embeds` `[images, L1, E]`, for `tags`
    /// (every tag when nil): `x` `[images, t, hidden]` = relu(wordvec_proj(reweighted label_embed)) and `q0`
    /// `[images, t, hidden]` = layer 0's projection of x. The reweighting is batched: one product for every
    /// image's logits, one small product per tag for the weighted sums, one each for wordvec_proj and layer 0.
    func imageQueries(
        _ embeds: UnsafePointer<Float>, images n: Int, tokens l1: Int, tags: [Int]?, x: UnsafeMutablePointer<Float>,
        q0: UnsafeMutablePointer<Float>
    ) {
        guard let reweighting else { preconditionFailure("imageQueries is RAM++'s") }
        let e = config.encoderWidth, dd = reweighting.descriptions, t = tags?.count ?? config.numTags
        guard n > 0, t > 0 else { return }
        let scratch = Scratch()
        // The tags' description rows, [t · dd, E] (all of label_embed when every tag is asked).
        let rows: UnsafePointer<Float>
        if let tags {
            let gathered = scratch.allocate(t * dd * e)
            for (r, tag) in tags.enumerated() {
                (gathered + r * dd * e).update(from: reweighting.labelEmbed.p + tag * dd * e, count: dd * e)
            }
            rows = UnsafePointer(gathered)
        } else {
            rows = reweighting.labelEmbed.p
        }
        // cls: row 0 of each image, L2-normalised.
        let cls = scratch.allocate(n * e)
        for i in 0..<n {
            let src = embeds + i * l1 * e, dst = cls + i * e
            var sum: Float = 0
            for j in 0..<e { sum += src[j] * src[j] }
            let inverse = 1 / sum.squareRoot()
            for j in 0..<e { dst[j] = src[j] * inverse }
        }
        // weights [n, t, dd] = softmax over dd of scale · cls · rowsᵀ.
        let weights = scratch.allocate(n * t * dd)
        BLAS.parallelSgemm(
            transposeB: true, m: n, n: t * dd, k: e, alpha: reweighting.scale, a: cls, lda: e, b: rows, ldb: e,
            c: weights, ldc: t * dd)
        parallelSoftmax(weights, rows: n * t, width: dd)
        // mixed [n, t, E]: for each tag, its n × dd weights times its dd × E rows.
        let mixed = scratch.allocate(n * t * e)
        BLAS.withThreadCount(1) {
            WorkerPool.shared.parallelRanges(t, minimumChunk: 16) { range in
                for j in range {
                    BLAS.sgemm(
                        m: n, n: e, k: dd, a: weights + j * dd, lda: t * dd, b: rows + j * dd * e, ldb: e,
                        c: mixed + j * e, ldc: t * e)
                }
            }
        }
        wordvec(mixed, rows: n * t, into: x)
        Kernels.relu(x, n * t * config.hiddenSize)
        layers[0].query(x, rows: n * t, into: q0)
    }

    var headDim: Int { config.hiddenSize / config.numHeads }
    var scale: Float { 1 / Float(headDim).squareRoot() }

    /// Tag probabilities for one image's `image_embeds` `[L1, E]`: of every tag (`[numTags]`), or of
    /// `tags` only (`[tags.count]`, in that order).
    ///
    /// RAM deleted the head's self-attention, so every tag query goes through the layers on its own (each
    /// operation is per row: linear maps, cross-attention to the image, LayerNorm, GELU, `fc`): computing a
    /// subset gives those tags' probabilities without the others' cost.
    ///
    /// RAM++ passes the image's own queries (`imageQueries`: `x` and `q0` rows of these tags, `[t, hidden]`).
    func probabilities(
        _ image: UnsafePointer<Float>, tokens l1: Int, tags: [Int]? = nil, into probs: UnsafeMutablePointer<Float>,
        work: HeadWorkspace, imageQueries: (x: UnsafePointer<Float>, q0: UnsafePointer<Float>)? = nil
    ) {
        let t = tags?.count ?? config.numTags, d = config.hiddenSize, hd = headDim
        guard t > 0 else { return }
        let x = work.x, a = work.a, q = work.q, ctx = work.ctx
        var layer0 = UnsafePointer(q)
        if let imageQueries {
            x.update(from: imageQueries.x, count: t * d)
            layer0 = imageQueries.q0
        } else if let queries, let layer0Queries {
            if let tags {
                for (r, tag) in tags.enumerated() {
                    (x + r * d).update(from: queries.p + tag * d, count: d)
                    (q + r * d).update(from: layer0Queries.p + tag * d, count: d)
                }
            } else {
                x.update(from: queries.p, count: t * d)
                layer0 = layer0Queries.p
            }
        } else {
            preconditionFailure("RAM++'s head needs the image's queries")
        }
        for (i, layer) in layers.enumerated() {
            layer.key(image, rows: l1, into: work.k)
            layer.value(image, rows: l1, into: work.v)
            let qp: UnsafePointer<Float>
            if i == 0 {
                qp = layer0
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

    /// Layer 0's cross-attention probabilities `[heads, tags.count, L1]` for some tags of one image (RAM++'s
    /// queries are recomputed from this image).
    func layer0Attention(
        _ image: UnsafePointer<Float>, tokens l1: Int, tags: [Int], into out: UnsafeMutablePointer<Float>
    ) {
        let d = config.hiddenSize, hd = headDim, k = tags.count
        guard k > 0 else { return }
        let scratch = Scratch()
        let keys = scratch.allocate(l1 * d)
        let q = scratch.allocate(k * d)
        layers[0].key(image, rows: l1, into: keys)
        if let layer0Queries {
            for (r, tag) in tags.enumerated() { (q + r * d).update(from: layer0Queries.p + tag * d, count: d) }
        } else {
            imageQueries(image, images: 1, tokens: l1, tags: tags, x: scratch.allocate(k * d), q0: q)
        }
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
