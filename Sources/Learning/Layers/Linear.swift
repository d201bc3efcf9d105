/// `y = x · Wᵀ + b`, W `[out, in]` as PyTorch's `nn.Linear` stores it, with its backward pass.
enum Linear {
    /// y[rows × out] = x[rows × in] · Wᵀ + b.
    @_specialize(exported:true,where T == Float)
    static func forward<T: LearningScalar>(
        _ x: UnsafePointer<T>, rows: Int, in inputs: Int, out outputs: Int,
        weight: UnsafePointer<T>, bias: UnsafePointer<T>?, into y: UnsafeMutablePointer<T>
    ) {
        T.gemm(false, true, m: rows, n: outputs, k: inputs, x, inputs, weight, inputs, y, outputs)
        if let bias {
            for r in 0..<rows {
                let yr = y + r * outputs
                for j in 0..<outputs { yr[j] += bias[j] }
            }
        }
    }

    /// From dy[rows × out]: dW = dyᵀ x, db = Σ_rows dy (both overwritten), and dx = dy · W when asked.
    @_specialize(exported:true,where T == Float)
    static func backward<T: LearningScalar>(
        _ x: UnsafePointer<T>, _ dy: UnsafePointer<T>, rows: Int, in inputs: Int, out outputs: Int,
        weight: UnsafePointer<T>, weightGradient: UnsafeMutablePointer<T>,
        biasGradient: UnsafeMutablePointer<T>?, inputGradient: UnsafeMutablePointer<T>?
    ) {
        T.gemm(true, false, m: outputs, n: inputs, k: rows, dy, outputs, x, inputs, weightGradient, inputs)
        if let biasGradient { columnSums(dy, rows: rows, width: outputs, into: biasGradient) }
        if let inputGradient {
            T.gemm(false, false, m: rows, n: inputs, k: outputs, dy, outputs, weight, inputs, inputGradient, inputs)
        }
    }

    /// y[j] = Σ_r a[r, j], rows in order (so the result never depends on threads).
    @_specialize(exported:true,where T == Float)
    static func columnSums<T: LearningScalar>(
        _ a: UnsafePointer<T>, rows: Int, width: Int, into y: UnsafeMutablePointer<T>
    ) {
        y.update(repeating: 0, count: width)
        for r in 0..<rows {
            let ar = a + r * width
            for j in 0..<width { y[j] += ar[j] }
        }
    }
}
