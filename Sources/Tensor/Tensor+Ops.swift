/// Shape-checked tensor operations over the kernels. Each returns a new tensor; hot model code calls
/// ``Kernels`` and ``BLAS`` on its own scratch buffers instead.
extension Tensor {
    /// Matrix product of the last two axes of rank-2 tensors: op(self) · op(other).
    public func matmul(_ other: Tensor, transposeSelf: Bool = false, transposeOther: Bool = false) -> Tensor {
        precondition(rank == 2 && other.rank == 2, "matmul expects matrices, got \(shape) and \(other.shape)")
        let m = transposeSelf ? shape[1] : shape[0]
        let k = transposeSelf ? shape[0] : shape[1]
        let k2 = transposeOther ? other.shape[1] : other.shape[0]
        let n = transposeOther ? other.shape[0] : other.shape[1]
        precondition(k == k2, "matmul inner dimensions differ: \(shape) · \(other.shape)")
        var out = Tensor(shape: [m, n])
        withUnsafeBufferPointer { a in
            other.withUnsafeBufferPointer { b in
                out.withUnsafeMutableBufferPointer { c in
                    BLAS.sgemm(
                        transposeA: transposeSelf, transposeB: transposeOther, m: m, n: n, k: k,
                        a: a.baseAddress!, lda: shape[1], b: b.baseAddress!, ldb: other.shape[1],
                        c: c.baseAddress!, ldc: n)
                }
            }
        }
        return out
    }

    /// Batched matrix product over a leading batch axis: `[B, m, k] · [B, k, n]` (with optional transposes
    /// of the last two axes of either side).
    public func batchedMatmul(_ other: Tensor, transposeSelf: Bool = false, transposeOther: Bool = false) -> Tensor {
        precondition(
            rank == 3 && other.rank == 3 && shape[0] == other.shape[0], "batchedMatmul: \(shape) · \(other.shape)")
        let batch = shape[0]
        let m = transposeSelf ? shape[2] : shape[1]
        let k = transposeSelf ? shape[1] : shape[2]
        let n = transposeOther ? other.shape[1] : other.shape[2]
        precondition(k == (transposeOther ? other.shape[2] : other.shape[1]), "batchedMatmul inner dimensions differ")
        var out = Tensor(shape: [batch, m, n])
        let aStride = shape[1] * shape[2], bStride = other.shape[1] * other.shape[2]
        withUnsafeBufferPointer { a in
            other.withUnsafeBufferPointer { b in
                out.withUnsafeMutableBufferPointer { c in
                    for i in 0..<batch {
                        BLAS.sgemm(
                            transposeA: transposeSelf, transposeB: transposeOther, m: m, n: n, k: k,
                            a: a.baseAddress! + i * aStride, lda: shape[2],
                            b: b.baseAddress! + i * bStride, ldb: other.shape[2],
                            c: c.baseAddress! + i * m * n, ldc: n)
                    }
                }
            }
        }
        return out
    }

    /// `x · Wᵀ + b` over the last axis: self `[..., in]`, weight `[out, in]`, bias `[out]`.
    public func linear(weight: Tensor, bias: Tensor? = nil) -> Tensor {
        precondition(weight.rank == 2 && shape.last == weight.shape[1], "linear: \(shape) with weight \(weight.shape)")
        let inF = weight.shape[1], outF = weight.shape[0]
        let rows = count / max(inF, 1)
        var out = Tensor(shape: Array(shape.dropLast()) + [outF])
        withUnsafeBufferPointer { x in
            weight.withUnsafeBufferPointer { w in
                out.withUnsafeMutableBufferPointer { y in
                    BLAS.sgemm(
                        transposeB: true, m: rows, n: outF, k: inF, a: x.baseAddress!, lda: inF,
                        b: w.baseAddress!, ldb: inF, c: y.baseAddress!, ldc: outF)
                    if let bias {
                        precondition(bias.count == outF, "linear: bias \(bias.shape) for \(outF) outputs")
                        bias.withUnsafeBufferPointer {
                            Kernels.addBias(y.baseAddress!, rows: rows, width: outF, bias: $0.baseAddress!)
                        }
                    }
                }
            }
        }
        return out
    }

    /// LayerNorm over the last axis.
    public func layerNorm(weight: Tensor, bias: Tensor, eps: Float) -> Tensor {
        let width = shape.last ?? 0
        precondition(
            weight.count == width && bias.count == width, "layerNorm: \(shape) with \(weight.shape)/\(bias.shape)")
        var out = self
        out.withUnsafeMutableBufferPointer { y in
            weight.withUnsafeBufferPointer { g in
                bias.withUnsafeBufferPointer { b in
                    Kernels.layerNorm(
                        UnsafePointer(y.baseAddress!), y.baseAddress!, rows: count / max(width, 1), width: width,
                        gamma: g.baseAddress!, beta: b.baseAddress!, eps: eps)
                }
            }
        }
        return out
    }

    /// GELU (erf form), element-wise.
    public func gelu() -> Tensor {
        var out = self
        out.withUnsafeMutableBufferPointer { Kernels.gelu($0.baseAddress!, $0.count) }
        return out
    }

    /// Softmax over the last axis.
    public func softmax() -> Tensor {
        let width = shape.last ?? 0
        var out = self
        out.withUnsafeMutableBufferPointer {
            Kernels.softmaxRows($0.baseAddress!, rows: count / max(width, 1), width: width)
        }
        return out
    }

    /// ReLU, element-wise.
    public func relu() -> Tensor {
        var out = self
        out.withUnsafeMutableBufferPointer { Kernels.relu($0.baseAddress!, $0.count) }
        return out
    }

    /// Sigmoid, element-wise.
    public func sigmoid() -> Tensor {
        var out = self
        out.withUnsafeMutableBufferPointer { Kernels.sigmoid($0.baseAddress!, $0.count) }
        return out
    }

    /// Element-wise sum with a tensor of the same shape.
    public static func + (lhs: Tensor, rhs: Tensor) -> Tensor {
        precondition(lhs.shape == rhs.shape, "add: \(lhs.shape) + \(rhs.shape)")
        var out = lhs
        out.withUnsafeMutableBufferPointer { y in
            rhs.withUnsafeBufferPointer { Kernels.add($0.baseAddress!, into: y.baseAddress!, y.count) }
        }
        return out
    }

    /// Adds `other` (same shape) in place: the residual connection.
    public mutating func add(_ other: Tensor) {
        precondition(shape == other.shape, "add: \(shape) += \(other.shape)")
        withUnsafeMutableBufferPointer { y in
            other.withUnsafeBufferPointer { Kernels.add($0.baseAddress!, into: y.baseAddress!, y.count) }
        }
    }
}
