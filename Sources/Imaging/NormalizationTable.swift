/// The 3 × 256 lookup table of `ToTensor` + `Normalize`: entry `[c][v]` is
/// `(Float(v) / 255 - mean[c]) / std[c]` in float32, bit-identical to numpy's
/// `(np.float32(v) / np.float32(255) - np.float32(mean)) / np.float32(std)`.
public struct NormalizationTable: Sendable, Equatable {
    /// `3 * 256` values, channel-major.
    public let values: [Float]

    /// Builds the table for per-channel `mean` and `std` (3 values each; `std` must be positive).
    public init(mean: [Float], std: [Float]) {
        precondition(mean.count == 3 && std.count == 3, "NormalizationTable: 3 means and 3 stds")
        var values = [Float](repeating: 0, count: 3 * 256)
        for c in 0..<3 {
            for v in 0..<256 {
                let x = Float(v) / Float(255)
                values[c * 256 + v] = (x - mean[c]) / std[c]
            }
        }
        self.values = values
    }

    /// The normalised value of byte `value` in channel `channel`.
    @inlinable
    public subscript(channel: Int, value: UInt8) -> Float {
        values[channel * 256 + Int(value)]
    }

    /// The byte whose normalised value in `channel` is nearest to `x` (the exact inverse for values
    /// taken from this table; clamps values outside the table's range).
    public func byte(nearest x: Float, channel: Int) -> UInt8 {
        let base = channel * 256
        // Entries increase with the byte (std > 0), so binary-search the first entry >= x.
        var lo = 0, hi = 256
        while lo < hi {
            let mid = (lo + hi) / 2
            if values[base + mid] < x { lo = mid + 1 } else { hi = mid }
        }
        if lo == 0 { return 0 }
        if lo == 256 { return 255 }
        let above = values[base + lo] - x, below = x - values[base + lo - 1]
        return UInt8(below <= above ? lo - 1 : lo)
    }
}
