import TagoodSupport
import Tensor

extension Projector {
    /// The gradients of a scalar loss, given its gradients with respect to f (`featureGradient [B × W]`)
    /// and the logits (`logitGradient [B × C]`), for the forward pass in `pass`; written to `gradients`
    /// (every trainable entry overwritten; `w_layer`'s left at zero).
    @_specialize(exported:true,where T == Float)
    func backward(
        _ batch: ProjectorBatch<T>, pass: ProjectorPass<T>, featureGradient dF: UnsafePointer<T>,
        logitGradient dLogits: UnsafePointer<T>, into g: ParameterSet<T>, scratch s: ProjectorScratch<T>
    ) {
        let p = parameters, layout = pass.layout
        let w = config.width, b = layout.count

        // Classifier, then the final LayerNorm: dy for the last block's (CLS) rows.
        s.featureGradient.resize(rows: b, columns: w)
        Linear.backward(
            pass.features.pointer, dLogits, rows: b, in: w, out: config.classes, weight: p["classifier.weight"],
            weightGradient: g["classifier.weight"], biasGradient: g["classifier.bias"],
            inputGradient: s.featureGradient.pointer)
        Self.add(dF, into: s.featureGradient.pointer, b * w)
        let last = pass.blocks[config.layers - 1]
        var dy = s.a
        dy.resize(rows: b, columns: w)
        s.normalised.resize(rows: b, columns: w)
        LayerNorm.backward(
            last.output.pointer, s.featureGradient.pointer, rows: b, width: w, gamma: p["layers.ln.weight"],
            inverseStd: pass.inverseStdFinal.pointer, inputGradient: dy.pointer, accumulate: false,
            gammaGradient: g["layers.ln.weight"], betaGradient: g["layers.ln.bias"], scratch: s.normalised.pointer)

        // The blocks, last first; each leaves the gradient of its input (all rows) in the other buffer.
        var dx = s.b
        for l in stride(from: config.layers - 1, through: 0, by: -1) {
            let input = l == 0 ? pass.embedded : pass.blocks[l - 1].output
            backwardBlock(l, input: input, outputGradient: dy, inputGradient: dx, pass: pass, gradients: g, scratch: s)
            swap(&dy, &dx)
        }

        // Embedding dropout, CLS token, positions, image_proj.
        let d0 = dy
        if pass.training { for e in 0..<(layout.totalRows * w) { d0.pointer[e] *= pass.mask0.pointer[e] } }
        let dCls = g["cls_token"], dPos = g["layers.pos_embedding"]
        dCls.update(repeating: 0, count: w)
        dPos.update(repeating: 0, count: (config.maxTokens + 1) * w)
        let n = batch.tokens.rows
        let dProjected = s.c
        dProjected.resize(rows: n, columns: w)
        var tokenRow = 0
        for i in 0..<b {
            let start = layout.starts[i]
            for t in 0..<layout.lengths[i] {
                let src = d0.row(start + t), pr = dPos + t * w
                for j in 0..<w { pr[j] += src[j] }
                if t == 0 {
                    for j in 0..<w { dCls[j] += src[j] }
                } else {
                    dProjected.row(tokenRow + t - 1).update(from: src, count: w)
                }
            }
            tokenRow += layout.lengths[i] - 1
        }
        Linear.backward(
            batch.tokens.pointer, dProjected.pointer, rows: n, in: config.inputWidth, out: w,
            weight: p["image_proj.weight"],
            weightGradient: g["image_proj.weight"], biasGradient: g["image_proj.bias"], inputGradient: nil)
    }

    /// One block's backward pass: from the gradient of its output (query rows) to that of its input (all
    /// rows), with its parameters' gradients.
    @_specialize(exported:true,where T == Float)
    private func backwardBlock(
        _ l: Int, input x: Matrix<T>, outputGradient dy: Matrix<T>, inputGradient dx: Matrix<T>,
        pass: ProjectorPass<T>, gradients g: ParameterSet<T>, scratch s: ProjectorScratch<T>
    ) {
        let p = parameters, prefix = ProjectorConfig.blockPrefix(l), block = pass.blocks[l], layout = pass.layout
        let w = config.width, m = config.mlpWidth, rows = layout.totalRows
        let queries = block.queries, rq = queries.count(layout)
        let training = pass.training

        // dh starts as dy (the residual); the MLP branch adds to it through LN₂.
        let dh = s.d
        dh.resize(rows: rq, columns: w)
        dh.pointer.update(from: dy.pointer, count: rq * w)
        if training { for e in 0..<(rq * w) { dy.pointer[e] *= block.mask3.pointer[e] } }
        let dHidden = s.wide
        dHidden.resize(rows: rq, columns: m)
        Linear.backward(
            block.activated.pointer, dy.pointer, rows: rq, in: m, out: w, weight: p[prefix + "mlp.3.weight"],
            weightGradient: g[prefix + "mlp.3.weight"], biasGradient: g[prefix + "mlp.3.bias"],
            inputGradient: dHidden.pointer)
        if training { for e in 0..<(rq * m) { dHidden.pointer[e] *= block.mask2.pointer[e] } }
        T.geluBackward(block.hidden.pointer, dHidden.pointer, dHidden.pointer, rq * m)
        let dNormalised2 = s.attention
        dNormalised2.resize(rows: rq, columns: w)
        Linear.backward(
            block.normalised2.pointer, dHidden.pointer, rows: rq, in: w, out: m, weight: p[prefix + "mlp.0.weight"],
            weightGradient: g[prefix + "mlp.0.weight"], biasGradient: g[prefix + "mlp.0.bias"],
            inputGradient: dNormalised2.pointer)
        s.normalised.resize(rows: max(rows, rq), columns: w)
        LayerNorm.backward(
            block.residual.pointer, dNormalised2.pointer, rows: rq, width: w, gamma: p[prefix + "ln_2.weight"],
            inverseStd: block.inverseStd2.pointer, inputGradient: dh.pointer, accumulate: true,
            gammaGradient: g[prefix + "ln_2.weight"], betaGradient: g[prefix + "ln_2.bias"],
            scratch: s.normalised.pointer)

        // Attention branch: out_proj, the heads, in_proj.
        let dOut = dy // dy is no longer needed: reuse it for dropout(dh)
        dOut.pointer.update(from: dh.pointer, count: rq * w)
        if training { for e in 0..<(rq * w) { dOut.pointer[e] *= block.mask1.pointer[e] } }
        let dAttention = s.attention
        Linear.backward(
            block.attention.pointer, dOut.pointer, rows: rq, in: w, out: w,
            weight: p[prefix + "self_attention.out_proj.weight"],
            weightGradient: g[prefix + "self_attention.out_proj.weight"],
            biasGradient: g[prefix + "self_attention.out_proj.bias"],
            inputGradient: dAttention.pointer)
        s.qkv.resize(rows: rows, columns: 3 * w)
        MultiHeadAttention.backward(
            qkv: block.qkv.pointer, outputGradient: dAttention.pointer, batch: layout, queries: queries, width: w,
            heads: config.heads, probabilities: block.probabilities.pointer, offsets: block.probabilityOffsets,
            qkvGradient: s.qkv.pointer, scratch: s.attentionScratch)
        let dNormalised = s.wide
        dNormalised.resize(rows: rows, columns: w)
        Linear.backward(
            block.normalised.pointer, s.qkv.pointer, rows: rows, in: w, out: 3 * w,
            weight: p[prefix + "self_attention.in_proj_weight"],
            weightGradient: g[prefix + "self_attention.in_proj_weight"],
            biasGradient: g[prefix + "self_attention.in_proj_bias"],
            inputGradient: dNormalised.pointer)
        dx.resize(rows: rows, columns: w)
        LayerNorm.backward(
            x.pointer, dNormalised.pointer, rows: rows, width: w, gamma: p[prefix + "ln_1.weight"],
            inverseStd: block.inverseStd1.pointer, inputGradient: dx.pointer, accumulate: false,
            gammaGradient: g[prefix + "ln_1.weight"], betaGradient: g[prefix + "ln_1.bias"],
            scratch: s.normalised.pointer)
        // The residual: dh reaches the query rows of the input.
        switch queries {
        case .all: Self.add(dh.pointer, into: dx.pointer, rows * w)
        case .first: for i in 0..<layout.count { Self.add(dh.row(i), into: dx.row(layout.starts[i]), w) }
        }
    }
}
