import TagoodSupport
import Tensor

/// Mahalanobis distance to the nearest class mean under a shared covariance (Lee et al. 2018):
/// score = −min_c (x − μ_c)ᵀ Σ⁻¹ (x − μ_c).
///
/// With Σ = L Lᵀ (``Cholesky``, float64), z = L⁻¹x and m_c = L⁻¹μ_c, the distance is
/// ‖z‖² − 2 z·m_c + ‖m_c‖²: one triangular solve per row and one GEMM against the classes.
public struct MahalanobisScorer: Sendable {
    static let block = 256
    public let classes: Int
    public let d: Int
    public let factor: Cholesky
    /// m_c = L⁻¹ μ_c, [classes × d].
    let whitenedMeans: [Double]
    let meanNorms: [Double]

    /// Factors the covariance. Throws when it cannot be factored even with a ridge.
    public init(means: [Double], covariance: [Double], classes: Int, d: Int, name: String) throws(ReduceError) {
        guard let factor = Cholesky(covariance, d: d) else {
            throw ReduceError(
                .damaged,
                "the \(name) covariance has non-finite values; "
                    + "the features are damaged: re-run `tagood resume` to re-verify the shards")
        }
        self.factor = factor
        self.classes = classes
        self.d = d
        var m = means
        m.withUnsafeMutableBufferPointer { mp in
            factor.lower.withUnsafeBufferPointer { l in
                BLAS.solveRightLowerTransposed(m: classes, d: d, l: l.baseAddress!, x: mp.baseAddress!)
            }
        }
        whitenedMeans = m
        meanNorms = (0..<classes).map { c in
            var s = 0.0
            for j in 0..<d { s += m[c * d + j] * m[c * d + j] }
            return s
        }
    }

    /// Scores `x` [n × d].
    public func scores(_ x: [Float], n: Int, threads: Int) throws -> [Double] {
        var out = [Double](repeating: 0, count: n)
        let blocks = (n + Self.block - 1) / Self.block
        try out.withUnsafeMutableBufferPointer { op in
            let shared = UnsafeShared(pointer: op.baseAddress!)
            try ParallelFor.run(count: blocks, threads: threads) { b in
                let r0 = b * Self.block, rows = min(Self.block, n - r0)
                var z = [Double](repeating: 0, count: rows * d)
                for i in 0..<(rows * d) { z[i] = Double(x[r0 * d + i]) }
                var dots = [Double](repeating: 0, count: rows * classes)
                z.withUnsafeMutableBufferPointer { zp in
                    factor.lower.withUnsafeBufferPointer { l in
                        BLAS.solveRightLowerTransposed(m: rows, d: d, l: l.baseAddress!, x: zp.baseAddress!)
                    }
                    whitenedMeans.withUnsafeBufferPointer { mp in
                        dots.withUnsafeMutableBufferPointer { dp in
                            BLAS.dgemmABt(
                                m: rows, n: classes, k: d, a: zp.baseAddress!, b: mp.baseAddress!, c: dp.baseAddress!)
                        }
                    }
                }
                for i in 0..<rows {
                    var zz = 0.0
                    for j in 0..<d { zz += z[i * d + j] * z[i * d + j] }
                    var best = Double.infinity
                    for c in 0..<classes {
                        let distance = zz - 2 * dots[i * classes + c] + meanNorms[c]
                        if distance < best { best = distance }
                    }
                    shared.pointer[r0 + i] = -max(best, 0)
                }
            }
        }
        return out
    }
}
