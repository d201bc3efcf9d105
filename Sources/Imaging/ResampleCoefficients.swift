/// Pillow's bilinear resampling weights for one axis, in its 8-bit fixed point.
///
/// This follows libImaging/Resample.c exactly: `precompute_coeffs` in double precision with the
/// bilinear (triangle) filter of support 1 scaled by `max(scale, 1)` (that is the antialiasing),
/// bounds rounded as `(int)(center ± support + 0.5)` and clamped, weights normalised to sum 1, then
/// `normalize_coeffs_8bpc`: `(int)(±0.5 + w * (1 << 22))`.
struct ResampleCoefficients: Sendable {
    /// Fixed-point precision of the weights (`PRECISION_BITS` = 32 - 8 - 2).
    static let precisionBits = 22
    /// The accumulator's starting value, `1 << (PRECISION_BITS - 1)`, which makes `>> 22` round.
    static let half: Int32 = 1 << 21

    /// The maximum number of taps (the stride of ``weights``).
    let taps: Int
    /// For each output index, the first input index it reads.
    let first: [Int32]
    /// For each output index, how many input indices it reads (at most ``taps``).
    let count: [Int32]
    /// `outSize * taps` fixed-point weights; entries past `count` are zero.
    let weights: [Int32]

    /// The weights that resample `inSize` samples to `outSize` over the whole input (Pillow's box
    /// `(0, inSize)`). Both sizes must be positive.
    init(inSize: Int, outSize: Int) {
        precondition(inSize > 0 && outSize > 0, "ResampleCoefficients: sizes must be positive")
        let in0 = Float(0), in1 = Float(inSize) // Pillow's box is float
        let scale = Double(in1 - in0) / Double(outSize)
        let filterScale = max(scale, 1.0)
        let support = 1.0 * filterScale // bilinear support is 1
        let taps = Int(support.rounded(.up)) * 2 + 1
        var first = [Int32](repeating: 0, count: outSize)
        var count = [Int32](repeating: 0, count: outSize)
        var weights = [Int32](repeating: 0, count: outSize * taps)
        var k = [Double](repeating: 0, count: taps)
        let ss = 1.0 / filterScale
        for xx in 0..<outSize {
            let center = Double(in0) + (Double(xx) + 0.5) * scale
            var ww = 0.0
            var xmin = Int(center - support + 0.5) // C (int) truncates toward zero
            if xmin < 0 { xmin = 0 }
            var xmax = Int(center + support + 0.5)
            if xmax > inSize { xmax = inSize }
            xmax -= xmin
            for x in 0..<max(xmax, 0) {
                let w = Self.bilinear((Double(x + xmin) - center + 0.5) * ss)
                k[x] = w
                ww += w
            }
            for x in 0..<max(xmax, 0) where ww != 0.0 {
                k[x] /= ww
            }
            for x in 0..<max(xmax, 0) {
                let scaled = k[x] * Double(1 << Self.precisionBits)
                weights[xx * taps + x] = Int32(k[x] < 0 ? -0.5 + scaled : 0.5 + scaled)
            }
            first[xx] = Int32(xmin)
            count[xx] = Int32(max(xmax, 0))
        }
        self.taps = taps
        self.first = first
        self.count = count
        self.weights = weights
    }

    /// The triangle filter.
    @inline(__always)
    static func bilinear(_ x: Double) -> Double {
        let x = x < 0.0 ? -x : x
        return x < 1.0 ? 1.0 - x : 0.0
    }

    /// Pillow's `clip8`: the accumulator shifted down and clamped to 0...255.
    @inline(__always)
    static func clip8(_ accumulator: Int32) -> UInt8 {
        let v = accumulator >> Int32(precisionBits)
        return v <= 0 ? 0 : (v >= 255 ? 255 : UInt8(truncatingIfNeeded: v))
    }
}
