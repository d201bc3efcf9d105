/// The Cholesky factor of a symmetric positive definite matrix, in Double, with a ridge fallback.
public struct Cholesky: Sendable, Equatable {
    /// L, lower triangular, row-major d×d (upper part zero), with A + ridge·I = L Lᵀ.
    public let lower: [Double]
    public let d: Int
    /// The ridge added to the diagonal (0 when A itself factored).
    public let ridge: Double

    /// Factors `a` (d×d, symmetric, row-major). When a pivot is not positive or falls below 1e-10 of
    /// the mean diagonal (a singular or near-singular matrix), it retries with a ridge of 1e-8 × the mean
    /// diagonal (1e-8 when the diagonal is all zeros), ×10 each time. Returns nil if the matrix is not finite.
    public init?(_ a: [Double], d: Int) {
        precondition(a.count == d * d)
        var trace = 0.0
        for i in 0..<d { trace += a[i * d + i] }
        guard trace.isFinite, a.allSatisfy(\.isFinite) else { return nil }
        // A zero (or rounding-negative) diagonal: every feature equal to its class mean; scale the ridge by 1.
        let meanDiagonal = trace > 0 ? trace / Double(d) : 1
        let floor = 1e-10 * meanDiagonal
        var ridge = 0.0
        for attempt in 0..<14 {
            if let l = Self.factor(a, d: d, ridge: ridge, floor: floor) {
                self.lower = l
                self.d = d
                self.ridge = ridge
                return
            }
            ridge = meanDiagonal * 1e-8 * Self.pow10(attempt)
        }
        return nil
    }

    private static func pow10(_ n: Int) -> Double {
        var x = 1.0
        for _ in 0..<n { x *= 10 }
        return x
    }

    /// The Cholesky–Banachiewicz factorisation of A + ridge·I; nil when a pivot is ≤ `floor`.
    static func factor(_ a: [Double], d: Int, ridge: Double, floor: Double) -> [Double]? {
        var l = [Double](repeating: 0, count: d * d)
        for i in 0..<d {
            for j in 0...i {
                var sum = a[i * d + j] + (i == j ? ridge : 0)
                for k in 0..<j { sum -= l[i * d + k] * l[j * d + k] }
                if i == j {
                    guard sum > floor, sum.isFinite else { return nil }
                    l[i * d + i] = sum.squareRoot()
                } else {
                    l[i * d + j] = sum / l[j * d + j]
                }
            }
        }
        return l
    }

    /// Solves L y = b (forward substitution).
    public func solveLower(_ b: [Double]) -> [Double] {
        var y = b
        for i in 0..<d {
            var sum = y[i]
            for k in 0..<i { sum -= lower[i * d + k] * y[k] }
            y[i] = sum / lower[i * d + i]
        }
        return y
    }
}
