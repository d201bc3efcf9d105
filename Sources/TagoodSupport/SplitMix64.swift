/// SplitMix64: a tiny, fast, seeded generator with good statistical quality, for reproducible random
/// weights (`tagood model init`) and synthetic benchmark data. The same seed gives the same stream on
/// every machine.
public struct SplitMix64: Sendable {
    private var state: UInt64
    public init(seed: UInt64) { state = seed }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1) with 24 bits of resolution.
    public mutating func unit() -> Float { Float(next() >> 40) / Float(1 << 24) }

    /// An approximately standard-normal value bounded to ±2√3: the centred, scaled sum of four
    /// uniforms (Irwin–Hall), i.e. a cheap truncated normal.
    public mutating func truncatedNormal() -> Float {
        let a = next(), b = next()
        let scale: Float = 1.0 / 4_294_967_296.0
        let s =
            Float(UInt32(truncatingIfNeeded: a)) * scale + Float(UInt32(truncatingIfNeeded: a >> 32)) * scale
            + Float(UInt32(truncatingIfNeeded: b)) * scale + Float(UInt32(truncatingIfNeeded: b >> 32)) * scale
        return (s - 2) * 1.732_050_8
    }
}
