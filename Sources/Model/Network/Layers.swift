import TagoodSupport
import Tensor

/// An immutable float buffer owned by the model, with a stable address for BLAS.
final class ParameterBuffer: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<Float>
    let count: Int
    let shape: [Int]

    init(_ tensor: Tensor) {
        count = tensor.count
        shape = tensor.shape
        pointer = .allocate(capacity: max(count, 1))
        tensor.withUnsafeBufferPointer { pointer.initialize(from: $0.baseAddress!, count: count) }
    }

    init(shape: [Int], _ fill: (UnsafeMutablePointer<Float>) -> Void) {
        self.shape = shape
        count = shape.reduce(1, *)
        pointer = .allocate(capacity: max(count, 1))
        pointer.initialize(repeating: 0, count: count)
        fill(pointer)
    }

    deinit { pointer.deallocate() }

    var p: UnsafePointer<Float> { UnsafePointer(pointer) }
}

/// Takes parameters out of a weight set by name (each array is freed as soon as it is copied).
struct ParameterSource {
    var tensors: [String: Tensor]

    mutating func take(_ name: String) -> ParameterBuffer {
        guard let t = tensors.removeValue(forKey: name) else { preconditionFailure("validated weights lack \(name)") }
        return ParameterBuffer(t)
    }
}

/// `y = x · Wᵀ + b` with W `[out, in]`.
struct Linear: Sendable {
    let weight: ParameterBuffer
    let bias: ParameterBuffer?
    let inFeatures: Int
    let outFeatures: Int

    init(_ source: inout ParameterSource, _ prefix: String, bias hasBias: Bool = true) {
        weight = source.take(prefix + ".weight")
        bias = hasBias ? source.take(prefix + ".bias") : nil
        outFeatures = weight.shape[0]
        inFeatures = weight.count / outFeatures
    }

    /// y[rows, out] = x[rows, in] · Wᵀ + b; with `accumulate`, y += x · Wᵀ + b.
    func callAsFunction(
        _ x: UnsafePointer<Float>, rows: Int, into y: UnsafeMutablePointer<Float>, accumulate: Bool = false
    ) {
        product(x, rows: rows, into: y, accumulate: accumulate)
        if let bias { parallelAddBias(y, rows: rows, width: outFeatures, bias: bias.p) }
    }

    /// y[rows, out] = x · Wᵀ (or y += x · Wᵀ), without the bias: for callers that fuse the bias into
    /// their next pass over y.
    func product(_ x: UnsafePointer<Float>, rows: Int, into y: UnsafeMutablePointer<Float>, accumulate: Bool = false) {
        BLAS.parallelSgemm(
            transposeB: true, m: rows, n: outFeatures, k: inFeatures, a: x, lda: inFeatures,
            b: weight.p, ldb: inFeatures, beta: accumulate ? 1 : 0, c: y, ldc: outFeatures)
    }
}

/// LayerNorm over rows of `width`.
struct LayerNorm: Sendable {
    let weight: ParameterBuffer
    let bias: ParameterBuffer
    let eps: Float

    init(_ source: inout ParameterSource, _ prefix: String, eps: Float) {
        weight = source.take(prefix + ".weight")
        bias = source.take(prefix + ".bias")
        self.eps = eps
    }

    var width: Int { weight.count }

    func callAsFunction(_ x: UnsafePointer<Float>, rows: Int, into y: UnsafeMutablePointer<Float>) {
        let width = self.width, gamma = weight.p, beta = bias.p, eps = self.eps
        WorkerPool.shared.parallelRanges(rows, minimumChunk: rowsPerTask(width)) { r in
            Kernels.layerNorm(
                x + r.lowerBound * width, y + r.lowerBound * width, rows: r.count, width: width,
                gamma: gamma, beta: beta, eps: eps)
        }
    }

    func inPlace(_ x: UnsafeMutablePointer<Float>, rows: Int) {
        self(UnsafePointer(x), rows: rows, into: x)
    }

    /// Normalises rows gathered through a map: for each of `images` grids of `map.count` rows,
    /// y[r] = LN(x[map[r]]) (a Swin block's LayerNorm and its window partition in one pass).
    func callAsFunction(
        _ x: UnsafePointer<Float>, images: Int, gathering map: UnsafeBufferPointer<Int32>,
        into y: UnsafeMutablePointer<Float>
    ) {
        let width = self.width, gamma = weight.p, beta = bias.p, eps = self.eps, l = map.count
        WorkerPool.shared.parallelRanges(images * l, minimumChunk: rowsPerTask(width)) { range in
            for row in range {
                let image = row / l
                Kernels.layerNorm(
                    x + (image * l + Int(map[row - image * l])) * width, y + row * width, rows: 1, width: width,
                    gamma: gamma, beta: beta, eps: eps)
            }
        }
    }

    /// y = LN(x), then x += `bias` on every row, in the same pass over x (a Swin block's second
    /// LayerNorm, which also adds the MLP's output bias to the residual that the MLP accumulates into).
    func callAsFunction(
        _ x: UnsafeMutablePointer<Float>, rows: Int, into y: UnsafeMutablePointer<Float>,
        thenAdding addend: UnsafePointer<Float>
    ) {
        let width = self.width, gamma = weight.p, beta = bias.p, eps = self.eps
        WorkerPool.shared.parallelRanges(rows, minimumChunk: rowsPerTask(width)) { r in
            for row in r {
                Kernels.layerNorm(
                    x + row * width, y + row * width, rows: 1, width: width, gamma: gamma, beta: beta, eps: eps)
                Kernels.add(addend, into: x + row * width, width)
            }
        }
    }
}

/// Rows of `width` floats per worker-pool task: about 16k floats, enough to outweigh handing a task out.
func rowsPerTask(_ width: Int) -> Int { max(1, 16384 / max(width, 1)) }

/// Adds `bias[width]` to every row of `y`, on the worker pool.
func parallelAddBias(_ y: UnsafeMutablePointer<Float>, rows: Int, width: Int, bias: UnsafePointer<Float>) {
    WorkerPool.shared.parallelRanges(rows, minimumChunk: rowsPerTask(width)) { r in
        Kernels.addBias(y + r.lowerBound * width, rows: r.count, width: width, bias: bias)
    }
}

/// y = GELU(y + bias) row by row, on the worker pool (an MLP's first layer's epilogue, one pass).
func parallelAddBiasGELU(_ y: UnsafeMutablePointer<Float>, rows: Int, width: Int, bias: UnsafePointer<Float>) {
    WorkerPool.shared.parallelRanges(rows, minimumChunk: rowsPerTask(width)) { r in
        Kernels.addBiasGELU(y + r.lowerBound * width, rows: r.count, width: width, bias: bias)
    }
}

/// For each of `images` grids of `map.count` rows: dst[map[r]] += src[r] + bias (a Swin block's window
/// reverse, un-shift, projection bias and residual in one pass), on the worker pool.
func parallelScatterAdd(
    _ src: UnsafePointer<Float>, into dst: UnsafeMutablePointer<Float>, images: Int,
    map: UnsafeBufferPointer<Int32>, width: Int, bias: UnsafePointer<Float>
) {
    let l = map.count
    WorkerPool.shared.parallelRanges(images * l, minimumChunk: rowsPerTask(width)) { range in
        for row in range {
            let image = row / l
            let target = dst + (image * l + Int(map[row - image * l])) * width
            Kernels.add(bias, into: target, width)
            Kernels.add(src + row * width, into: target, width)
        }
    }
}

/// GELU over `n` floats in place, on the worker pool.
func parallelGELU(_ x: UnsafeMutablePointer<Float>, _ n: Int) {
    WorkerPool.shared.parallelRanges(n, minimumChunk: 32768) { r in Kernels.gelu(x + r.lowerBound, r.count) }
}

/// Row softmax in place, on the worker pool.
func parallelSoftmax(_ x: UnsafeMutablePointer<Float>, rows: Int, width: Int) {
    WorkerPool.shared.parallelRanges(rows, minimumChunk: rowsPerTask(width)) { r in
        Kernels.softmaxRows(x + r.lowerBound * width, rows: r.count, width: width)
    }
}

/// Scratch memory for one forward call, freed when the call returns.
final class Scratch {
    private var blocks: [UnsafeMutablePointer<Float>] = []

    func allocate(_ count: Int) -> UnsafeMutablePointer<Float> {
        let p = UnsafeMutablePointer<Float>.allocate(capacity: max(count, 1))
        blocks.append(p)
        return p
    }

    deinit { for p in blocks { p.deallocate() } }
}
