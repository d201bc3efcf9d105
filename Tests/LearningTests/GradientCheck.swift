import TagoodSupport

@testable import Learning

/// Central finite differences in float64: the reference every analytic gradient is checked against.
enum GradientCheck {
    /// ‖a − n‖∞ / max(‖a‖∞, ‖n‖∞): the relative error of an analytic gradient against a numeric one.
    static func relativeError(_ analytic: [Double], _ numeric: [Double]) -> Double {
        precondition(analytic.count == numeric.count)
        var diff = 0.0, scale = 1e-300
        for (a, n) in zip(analytic, numeric) {
            diff = max(diff, abs(a - n))
            scale = max(scale, abs(a), abs(n))
        }
        return diff / scale
    }

    /// dL/dx by central differences: `loss` is evaluated with each element of `x` moved by ±h.
    static func numeric(
        _ x: UnsafeMutablePointer<Double>, count: Int, h: Double = 1e-5, _ loss: () -> Double
    ) -> [Double] {
        (0..<count).map { i in
            let saved = x[i]
            x[i] = saved + h
            let up = loss()
            x[i] = saved - h
            let down = loss()
            x[i] = saved
            return (up - down) / (2 * h)
        }
    }

    /// Seeded values in (−scale, scale).
    static func random(_ n: Int, seed: UInt64, scale: Double = 1) -> [Double] {
        var r = GaussianRandom(seed: seed)
        return (0..<n).map { _ in (r.unit() * 2 - 1) * scale }
    }

    /// Σ y ⊙ r: a scalar loss whose gradient with respect to y is r.
    static func dot(_ y: UnsafePointer<Double>, _ r: [Double]) -> Double {
        var s = 0.0
        for i in 0..<r.count { s += y[i] * r[i] }
        return s
    }
}
