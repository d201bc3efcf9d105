import TagoodSupport
import Tensor

/// LayerNorm over rows, `y = (x − μ) / √(σ² + ε) · γ + β` (biased variance), as `nn.LayerNorm`, with its
/// backward pass. The forward pass keeps each row's 1/√(σ² + ε) for the backward one.
enum LayerNorm {
    /// y = LN(x) row by row; `inverseStd[rows]` receives each row's 1/√(σ² + ε).
    @_specialize(exported:true,where T == Float)
    static func forward<T: LearningScalar>(
        _ x: UnsafePointer<T>, rows: Int, width: Int, gamma: UnsafePointer<T>, beta: UnsafePointer<T>,
        eps: T, into y: UnsafeMutablePointer<T>, inverseStd: UnsafeMutablePointer<T>
    ) {
        WorkerPool.shared.parallelRanges(rows, minimumChunk: 64) { range in
            for r in range {
                let xr = x + r * width, yr = y + r * width
                var mean: T = 0
                for j in 0..<width { mean += xr[j] }
                mean /= T(width)
                var variance: T = 0
                for j in 0..<width { let d = xr[j] - mean; variance += d * d }
                variance /= T(width)
                let rstd = 1 / T.sqrt(variance + eps)
                inverseStd[r] = rstd
                for j in 0..<width { yr[j] = (xr[j] - mean) * rstd * gamma[j] + beta[j] }
            }
        }
    }

    /// From dy: dx (overwritten, or added to with `accumulate`), dγ and dβ (overwritten). `x` is the
    /// forward input and `inverseStd` what the forward pass kept. `scratch` holds `rows × width`.
    @_specialize(exported:true,where T == Float)
    static func backward<T: LearningScalar>(
        _ x: UnsafePointer<T>, _ dy: UnsafePointer<T>, rows: Int, width: Int, gamma: UnsafePointer<T>,
        inverseStd: UnsafePointer<T>, inputGradient dx: UnsafeMutablePointer<T>, accumulate: Bool,
        gammaGradient: UnsafeMutablePointer<T>, betaGradient: UnsafeMutablePointer<T>,
        scratch xhat: UnsafeMutablePointer<T>
    ) {
        WorkerPool.shared.parallelRanges(rows, minimumChunk: 64) { range in
            for r in range {
                let xr = x + r * width, dyr = dy + r * width, dxr = dx + r * width, hr = xhat + r * width
                let rstd = inverseStd[r]
                var mean: T = 0
                for j in 0..<width { mean += xr[j] }
                mean /= T(width)
                // x̂ = (x − μ)·rstd;  dx = rstd · (g − mean(g) − x̂ · mean(g ⊙ x̂)), g = dy ⊙ γ
                var sumG: T = 0, sumGX: T = 0
                for j in 0..<width {
                    let h = (xr[j] - mean) * rstd
                    hr[j] = h
                    let g = dyr[j] * gamma[j]
                    sumG += g
                    sumGX += g * h
                }
                let meanG = sumG / T(width), meanGX = sumGX / T(width)
                for j in 0..<width {
                    let v = rstd * (dyr[j] * gamma[j] - meanG - hr[j] * meanGX)
                    dxr[j] = accumulate ? dxr[j] + v : v
                }
            }
        }
        // dγ = Σ dy ⊙ x̂, dβ = Σ dy, rows in order.
        gammaGradient.update(repeating: 0, count: width)
        betaGradient.update(repeating: 0, count: width)
        for r in 0..<rows {
            let dyr = dy + r * width, hr = xhat + r * width
            for j in 0..<width {
                gammaGradient[j] += dyr[j] * hr[j]
                betaGradient[j] += dyr[j]
            }
        }
    }
}
