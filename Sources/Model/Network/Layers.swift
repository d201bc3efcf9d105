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
    func callAsFunction(_ x: UnsafePointer<Float>, rows: Int, into y: UnsafeMutablePointer<Float>, accumulate: Bool = false) {
        BLAS.sgemm(transposeB: true, m: rows, n: outFeatures, k: inFeatures, a: x, lda: inFeatures,
                   b: weight.p, ldb: inFeatures, beta: accumulate ? 1 : 0, c: y, ldc: outFeatures)
        if let bias { Kernels.addBias(y, rows: rows, width: outFeatures, bias: bias.p) }
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
        WorkerPool.shared.parallelRanges(rows, minimumChunk: max(1, 16384 / max(width, 1))) { r in
            Kernels.layerNorm(x + r.lowerBound * width, y + r.lowerBound * width, rows: r.count, width: width,
                              gamma: gamma, beta: beta, eps: eps)
        }
    }

    func inPlace(_ x: UnsafeMutablePointer<Float>, rows: Int) {
        self(UnsafePointer(x), rows: rows, into: x)
    }
}

/// GELU over `n` floats in place, on the worker pool.
func parallelGELU(_ x: UnsafeMutablePointer<Float>, _ n: Int) {
    WorkerPool.shared.parallelRanges(n, minimumChunk: 32768) { r in Kernels.gelu(x + r.lowerBound, r.count) }
}

/// Row softmax in place, on the worker pool.
func parallelSoftmax(_ x: UnsafeMutablePointer<Float>, rows: Int, width: Int) {
    WorkerPool.shared.parallelRanges(rows, minimumChunk: max(1, 16384 / max(width, 1))) { r in
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
