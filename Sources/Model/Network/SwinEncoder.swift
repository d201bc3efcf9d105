import TagoodSupport
import Tensor

/// One Swin block: LN → (shifted) window attention with relative position bias → proj → residual,
/// then LN → MLP (GELU) → residual. Every linear of a block has a bias (validated weights; `Linear`'s
/// default), which the forward pass folds into its neighbouring passes.
struct SwinBlock: Sendable {
    let norm1: LayerNorm
    let qkv: Linear
    let proj: Linear
    let norm2: LayerNorm
    let fc1: Linear
    let fc2: Linear
    let dim: Int
    let heads: Int
    let resolution: Int
    let window: Int
    let shift: Int
    /// The dense relative-position bias `[heads, N, N]`, N = window².
    let bias: ParameterBuffer
    /// The shifted-window mask `[nW, N, N]`, only when `shift > 0`.
    let mask: ParameterBuffer?
    /// Windowed row → token of one image's grid (roll by −shift, then partition).
    let windowMap: [Int32]

    init(_ source: inout ParameterSource, prefix: String, config: SwinConfig, stage: Int, block: Int) {
        norm1 = LayerNorm(&source, prefix + ".norm1", eps: config.layerNormEps)
        qkv = Linear(&source, prefix + ".attn.qkv")
        proj = Linear(&source, prefix + ".attn.proj")
        norm2 = LayerNorm(&source, prefix + ".norm2", eps: config.layerNormEps)
        fc1 = Linear(&source, prefix + ".mlp.fc1")
        fc2 = Linear(&source, prefix + ".mlp.fc2")
        dim = config.width(stage: stage)
        heads = config.numHeads[stage]
        resolution = config.resolution(stage: stage)
        window = config.window(stage: stage)
        shift = config.shift(stage: stage, block: block)
        let tableName = prefix + ".attn.relative_position_bias_table"
        let table = source.tensors.removeValue(forKey: tableName)!
        bias = ParameterBuffer(Windows.relativePositionBias(table: table, windowSize: window))
        mask =
            shift > 0
            ? ParameterBuffer(
                Windows.shiftedWindowMask(height: resolution, width: resolution, windowSize: window, shift: shift))
            : nil
        windowMap = Windows.windowIndexMap(
            batch: 1, height: resolution, width: resolution, windowSize: window, shift: shift)
    }

    /// Runs the block in place on `x` `[images · L, C]` using the workspace buffers.
    ///
    /// Each pass over memory does as much as it can: LN₁ writes its rows straight into the (shifted) window
    /// order; the projection's bias, the window reverse, the un-shift and the residual are one scatter;
    /// LN₂ also adds fc2's bias to the residual, which fc2's product then accumulates into; fc1's bias and
    /// the GELU are one pass.
    func forward(_ x: UnsafeMutablePointer<Float>, images: Int, work: SwinWorkspace) {
        let l = resolution * resolution, c = dim, rows = images * l
        let a = work.a, b = work.b, qkvOut = work.qkv, hidden = work.hidden
        // Attention branch.
        windowMap.withUnsafeBufferPointer { map in
            norm1(x, images: images, gathering: map, into: b)
            qkv(b, rows: rows, into: qkvOut)
            attention(qkvOut, images: images, into: b, scores: work.scores)
            proj.product(b, rows: rows, into: a)
            parallelScatterAdd(a, into: x, images: images, map: map, width: c, bias: proj.bias!.p)
        }
        // MLP branch.
        norm2(x, rows: rows, into: a, thenAdding: fc2.bias!.p)
        fc1.product(a, rows: rows, into: hidden)
        parallelAddBiasGELU(hidden, rows: rows, width: fc1.outFeatures, bias: fc1.bias!.p)
        fc2.product(hidden, rows: rows, into: x, accumulate: true)
    }

    /// Window attention over `[windows · N, 3C]` qkv rows into `[windows · N, C]`: one task per
    /// (window, head) on the worker pool, each with its own `N×N` score block. The products are small
    /// (N = 144, head width 32 for Swin-L/384), so each runs on one OpenBLAS thread, and the pool's threads
    /// are the parallelism.
    func attention(
        _ qkv: UnsafePointer<Float>, images: Int, into out: UnsafeMutablePointer<Float>,
        scores: UnsafeMutablePointer<Float>
    ) {
        let n = window * window, c = dim, hd = dim / heads, heads = self.heads
        let windowsPerImage = (resolution / window) * (resolution / window)
        let scale = 1 / Float(hd).squareRoot()
        let bias = self.bias, mask = self.mask
        let threads = WorkerPool.shared.activeThreads
        BLAS.withThreadCount(1) {
            WorkerPool.shared.parallelFor(images * windowsPerImage * heads, threads: threads) { task, worker in
                let g = task / heads, h = task % heads
                let base = qkv + g * n * 3 * c
                let s = scores + worker * n * n
                BLAS.sgemm(
                    transposeB: true, m: n, n: n, k: hd, alpha: scale,
                    a: base + h * hd, lda: 3 * c, b: base + c + h * hd, ldb: 3 * c, c: s, ldc: n)
                Kernels.softmaxRows(
                    s, rows: n, width: n, bias: bias.p + h * n * n,
                    mask: mask.map { $0.p + (g % windowsPerImage) * n * n })
                BLAS.sgemm(
                    m: n, n: hd, k: n, a: s, lda: n, b: base + 2 * c + h * hd, ldb: 3 * c,
                    c: out + g * n * c + h * hd, ldc: c)
            }
        }
    }
}

/// Patch merging: 2×2 neighbours concatenated as [x(0,0), x(1,0), x(0,1), x(1,1)] → LN(4C) → Linear(4C → 2C).
struct PatchMerging: Sendable {
    let norm: LayerNorm
    let reduction: Linear
    let resolution: Int
    let dim: Int

    init(_ source: inout ParameterSource, prefix: String, config: SwinConfig, stage: Int) {
        norm = LayerNorm(&source, prefix + ".norm", eps: config.layerNormEps)
        reduction = Linear(&source, prefix + ".reduction", bias: false)
        resolution = config.resolution(stage: stage)
        dim = config.width(stage: stage)
    }

    /// `x` `[images, R, R, C]` → `out` `[images, R/2, R/2, 2C]`, using `merged` (`images·R²·C` floats).
    func forward(
        _ x: UnsafePointer<Float>, images: Int, merged: UnsafeMutablePointer<Float>,
        into out: UnsafeMutablePointer<Float>
    ) {
        let r = resolution, c = dim, half = r / 2
        var row = 0
        for n in 0..<images {
            for i in 0..<half {
                for j in 0..<half {
                    let dst = merged + row * 4 * c
                    for (q, (di, dj)) in [(0, 0), (1, 0), (0, 1), (1, 1)].enumerated() {
                        (dst + q * c).update(from: x + ((n * r + 2 * i + di) * r + 2 * j + dj) * c, count: c)
                    }
                    row += 1
                }
            }
        }
        norm.inPlace(merged, rows: row)
        reduction(merged, rows: row, into: out)
    }
}

/// The reusable buffers of one encoder forward, sized for its largest stage.
final class SwinWorkspace {
    let a, b, qkv, hidden, scores: UnsafeMutablePointer<Float>

    init(scratch: Scratch, rows: Int, width: Int, mlpRatio: Int, maxWindowTokens: Int) {
        a = scratch.allocate(rows * width)
        b = scratch.allocate(rows * width)
        qkv = scratch.allocate(rows * width * 3)
        hidden = scratch.allocate(rows * width * mlpRatio)
        scores = scratch.allocate(maxWindowTokens * maxWindowTokens * WorkerPool.shared.threads)
    }
}

/// RAM's Swin image encoder: patch embedding, the stages, the final norm and the pooled token.
struct SwinEncoder: Sendable {
    let config: SwinConfig
    let patchWeight: ParameterBuffer
    let patchBias: ParameterBuffer
    let patchNorm: LayerNorm
    let stages: [[SwinBlock]]
    let merges: [PatchMerging]
    let norm: LayerNorm

    init(_ source: inout ParameterSource, config: SwinConfig) {
        self.config = config
        patchWeight = source.take("visual_encoder.patch_embed.proj.weight")
        patchBias = source.take("visual_encoder.patch_embed.proj.bias")
        patchNorm = LayerNorm(&source, "visual_encoder.patch_embed.norm", eps: config.layerNormEps)
        var stages: [[SwinBlock]] = []
        var merges: [PatchMerging] = []
        for i in 0..<config.depths.count {
            stages.append(
                (0..<config.depths[i]).map { j in
                    SwinBlock(
                        &source, prefix: "visual_encoder.layers.\(i).blocks.\(j)", config: config, stage: i, block: j)
                })
            if i < config.depths.count - 1 {
                merges.append(
                    PatchMerging(&source, prefix: "visual_encoder.layers.\(i).downsample", config: config, stage: i))
            }
        }
        self.stages = stages
        self.merges = merges
        norm = LayerNorm(&source, "visual_encoder.norm", eps: config.layerNormEps)
    }

    /// `images` `[N, 3, H, W]` → `out` `[N, 1 + L, C]` (the mean token first, then the L tokens).
    func forward(_ images: UnsafePointer<Float>, count: Int, into out: UnsafeMutablePointer<Float>) {
        let scratch = Scratch()
        let p = config.patchSize, ch = config.inputChannels, res = config.imageResolution
        let r0 = config.resolution(stage: 0), e = config.embedDim
        let rows0 = count * r0 * r0
        let work = SwinWorkspace(
            scratch: scratch, rows: rows0, width: e, mlpRatio: config.mlpRatio,
            maxWindowTokens: config.windowSize * config.windowSize)
        var x = scratch.allocate(rows0 * e)
        var next = scratch.allocate(rows0 * e / 2 + 1)

        // Patch embedding: the stride-p convolution as a GEMM over p×p patches (columns c, kh, kw).
        let k = ch * p * p
        // The MLP buffer (rows0 × C·mlpRatio) is free until the first block; reuse it when large enough.
        let patchBuffer = k <= e * config.mlpRatio ? work.hidden : scratch.allocate(rows0 * k)
        var row = 0
        for n in 0..<count {
            for ph in 0..<r0 {
                for pw in 0..<r0 {
                    let dst = patchBuffer + row * k
                    for c in 0..<ch {
                        for kh in 0..<p {
                            let src = images + ((n * ch + c) * res + ph * p + kh) * res + pw * p
                            (dst + (c * p + kh) * p).update(from: src, count: p)
                        }
                    }
                    row += 1
                }
            }
        }
        BLAS.parallelSgemm(
            transposeB: true, m: rows0, n: e, k: k, a: patchBuffer, lda: k, b: patchWeight.p, ldb: k, c: x, ldc: e)
        Kernels.addBias(x, rows: rows0, width: e, bias: patchBias.p)
        patchNorm.inPlace(x, rows: rows0)

        for (i, blocks) in stages.enumerated() {
            for block in blocks { block.forward(x, images: count, work: work) }
            if i < merges.count {
                merges[i].forward(x, images: count, merged: work.a, into: next)
                swap(&x, &next)
            }
        }
        let c = config.visionWidth, l = config.tokenCount
        norm.inPlace(x, rows: count * l)
        let inv = 1 / Float(l)
        for n in 0..<count {
            let dst = out + n * (l + 1) * c
            let src = x + n * l * c
            (dst + c).update(from: src, count: l * c)
            dst.update(repeating: 0, count: c)
            for t in 0..<l { Kernels.add(src + t * c, into: dst, c) }
            for j in 0..<c { dst[j] *= inv }
        }
    }
}
