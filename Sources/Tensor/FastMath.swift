/// Vectorised float32 `exp` and `erf` for the softmax and GELU loops.
///
/// `exp` is Cephes' `expf` (range reduction to [-ln2/2, ln2/2] and a degree-5 polynomial; relative
/// error about 1e-7). `erf` is Abramowitz & Stegun 7.1.26 (absolute error below 1.5e-7, the form
/// PyTorch's vectorised CPU GELU uses). Both work on eight lanes at a time.
public enum FastMath {
    public typealias V = SIMD8<Float>

    /// Lane-wise minimum and maximum through masks (the generic `pointwiseMin/Max` are not vectorised).
    @inline(__always) public static func min(_ a: V, _ b: V) -> V { a.replacing(with: b, where: b .< a) }
    @inline(__always) public static func max(_ a: V, _ b: V) -> V { a.replacing(with: b, where: b .> a) }

    @inline(__always)
    public static func exp(_ x0: V) -> V {
        let x = min(max(x0, V(repeating: -87.33654)), V(repeating: 88.37626))
        // Round x·log2(e) to the nearest integer by adding 1.5·2^23: the integer lands in the low
        // mantissa bits (no float→int conversion, which Swift's SIMD types do lane by lane).
        let magic = V(repeating: 12_582_912)
        let t = x * 1.442_695_04 + magic
        let n = t - magic
        var r = x - n * 0.693_359_375
        r = r + n * 2.121_944_40e-4
        var p = V(repeating: 1.987_569_150e-4)
        p = p * r + 1.398_199_950_7e-3
        p = p * r + 8.333_451_907_3e-3
        p = p * r + 4.166_579_589_4e-2
        p = p * r + 1.666_666_545_9e-1
        p = p * r + 5.000_000_120_1e-1
        let y = p * (r * r) + r + 1
        let k = unsafeBitCast(t, to: SIMD8<Int32>.self) &- 0x4B40_0000
        return y * unsafeBitCast((k &+ 127) &<< 23, to: V.self)
    }

    /// Scalar `exp` with the same algorithm (used for tails).
    @inline(__always)
    public static func exp(_ x: Float) -> Float { exp(V(repeating: x))[0] }

    @inline(__always)
    public static func erf(_ x: V) -> V {
        let a = x.replacing(with: V() - x, where: x .< 0)
        let t = 1 / (1 + 0.327_591_1 * a)
        var p = V(repeating: 1.061_405_429)
        p = p * t - 1.453_152_027
        p = p * t + 1.421_413_741
        p = p * t - 0.284_496_736
        p = p * t + 0.254_829_592
        let y = 1 - p * t * exp(V() - a * a)
        return y.replacing(with: V() - y, where: x .< 0)
    }

    @inline(__always)
    public static func erf(_ x: Float) -> Float { erf(V(repeating: x))[0] }

    /// GELU, erf form: x · ½ · (1 + erf(x / √2)).
    @inline(__always)
    public static func gelu(_ x: V) -> V {
        x * 0.5 * (1 + erf(x * 0.707_106_781_186_547_5))
    }
}
