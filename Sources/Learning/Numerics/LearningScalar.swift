import COpenBLAS
import Foundation
import Tensor

/// The element types the projector trains in: `Float` for real runs, `Double` for the finite-difference
/// gradient checks. Each supplies the BLAS product and the few element-wise kernels whose fast form
/// depends on the type; every layer is written once, generically, on top of these.
public protocol LearningScalar: BinaryFloatingPoint, Sendable {
    /// C[m×n] = alpha · op(A) · op(B) + beta · C, row-major with leading dimensions (as ``BLAS/sgemm``).
    static func gemm(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Self,
        a: UnsafePointer<Self>, lda: Int, b: UnsafePointer<Self>, ldb: Int,
        beta: Self, c: UnsafeMutablePointer<Self>, ldc: Int)
    /// e^x.
    static func exp(_ x: Self) -> Self
    /// The square root.
    static func sqrt(_ x: Self) -> Self
    /// y = GELU(x) = x · Φ(x) (erf form) over `n` elements; `x` and `y` may be the same buffer.
    static func gelu(_ x: UnsafePointer<Self>, _ y: UnsafeMutablePointer<Self>, _ n: Int)
    /// dx = dy · GELU′(x) = dy · (Φ(x) + x · φ(x)) over `n` elements; `dy` and `dx` may be the same buffer.
    static func geluBackward(
        _ x: UnsafePointer<Self>, _ dy: UnsafePointer<Self>, _ dx: UnsafeMutablePointer<Self>, _ n: Int)
    /// Each row of `rows × width` becomes its softmax, in place.
    static func softmaxRows(_ x: UnsafeMutablePointer<Self>, rows: Int, width: Int)
}

extension LearningScalar {
    /// C = op(A) · op(B) (+ C when `accumulate`).
    @inline(__always)
    static func gemm(
        _ transposeA: Bool, _ transposeB: Bool, m: Int, n: Int, k: Int, alpha: Self = 1,
        _ a: UnsafePointer<Self>, _ lda: Int, _ b: UnsafePointer<Self>, _ ldb: Int,
        _ c: UnsafeMutablePointer<Self>, _ ldc: Int, accumulate: Bool = false
    ) {
        gemm(
            transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b,
            ldb: ldb,
            beta: accumulate ? 1 : 0, c: c, ldc: ldc)
    }
}

extension Float: LearningScalar {
    @inline(__always)
    public static func gemm(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Float,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        BLAS.sgemm(
            transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda,
            b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
    }

    @inline(__always) public static func exp(_ x: Float) -> Float { Foundation.exp(x) }
    @inline(__always) public static func sqrt(_ x: Float) -> Float { x.squareRoot() }

    public static func gelu(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
        if UnsafePointer(y) != x { y.update(from: x, count: n) }
        Kernels.gelu(y, n)
    }

    public static func geluBackward(
        _ x: UnsafePointer<Float>, _ dy: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>, _ n: Int
    ) {
        typealias V = SIMD8<Float>
        @inline(__always) func derivative(_ v: V) -> V {
            // Φ(x) + x · φ(x), φ(x) = e^(−x²/2) / √(2π)
            let cdf = 0.5 * (1 + FastMath.erf(v * 0.707_106_781_186_547_5))
            return cdf + v * 0.398_942_280_401_432_7 * FastMath.exp(V() - 0.5 * v * v)
        }
        var i = 0
        let xr = UnsafeRawPointer(x), dyr = UnsafeRawPointer(dy), dxr = UnsafeMutableRawPointer(dx)
        while i + 8 <= n {
            let v = xr.loadUnaligned(fromByteOffset: i * 4, as: V.self)
            let g = dyr.loadUnaligned(fromByteOffset: i * 4, as: V.self)
            dxr.storeBytes(of: g * derivative(v), toByteOffset: i * 4, as: V.self)
            i += 8
        }
        if i < n {
            var v = V(), g = V()
            for j in 0..<(n - i) { v[j] = x[i + j]; g[j] = dy[i + j] }
            let r = g * derivative(v)
            for j in 0..<(n - i) { dx[i + j] = r[j] }
        }
    }

    public static func softmaxRows(_ x: UnsafeMutablePointer<Float>, rows: Int, width: Int) {
        Kernels.softmaxRows(x, rows: rows, width: width)
    }
}

extension Double: LearningScalar {
    public static func gemm(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Double,
        a: UnsafePointer<Double>, lda: Int, b: UnsafePointer<Double>, ldb: Int,
        beta: Double, c: UnsafeMutablePointer<Double>, ldc: Int
    ) {
        if m == 0 || n == 0 { return }
        cblas_dgemm(
            CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
            Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    @inline(__always) public static func exp(_ x: Double) -> Double { Foundation.exp(x) }
    @inline(__always) public static func sqrt(_ x: Double) -> Double { x.squareRoot() }

    public static func gelu(_ x: UnsafePointer<Double>, _ y: UnsafeMutablePointer<Double>, _ n: Int) {
        for i in 0..<n { let v = x[i]; y[i] = v * 0.5 * (1 + Foundation.erf(v * 0.707_106_781_186_547_5)) }
    }

    public static func geluBackward(
        _ x: UnsafePointer<Double>, _ dy: UnsafePointer<Double>, _ dx: UnsafeMutablePointer<Double>, _ n: Int
    ) {
        for i in 0..<n {
            let v = x[i]
            let cdf = 0.5 * (1 + Foundation.erf(v * 0.707_106_781_186_547_5))
            dx[i] = dy[i] * (cdf + v * 0.398_942_280_401_432_7 * Foundation.exp(-0.5 * v * v))
        }
    }

    public static func softmaxRows(_ x: UnsafeMutablePointer<Double>, rows: Int, width: Int) {
        for r in 0..<rows {
            let row = x + r * width
            var top = -Double.infinity
            for j in 0..<width { top = Swift.max(top, row[j]) }
            var sum = 0.0
            for j in 0..<width { row[j] = Foundation.exp(row[j] - top); sum += row[j] }
            let inverse = 1 / sum
            for j in 0..<width { row[j] *= inverse }
        }
    }
}
