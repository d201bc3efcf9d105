/// SplitMix64: the demo data's only source of randomness.
///
/// It is integer arithmetic only, so a seed gives the same stream on every machine. Each image gets its
/// own stream, derived from the dataset seed and the image's identity with ``derive(_:_:)``, so images
/// do not depend on one another or on the order they are drawn in.
struct DemoRandom {
    private var state: UInt64

    /// A stream starting from `seed`.
    init(seed: UInt64) {
        state = seed
    }

    /// The stream for one image: the dataset `seed` mixed with the image's identity `parts`.
    static func derive(_ seed: UInt64, _ parts: [UInt64]) -> DemoRandom {
        var mixed = seed
        for part in parts {
            mixed = finalize(mixed ^ finalize(part &+ 0x632B_E59B_D9B4_E019))
        }
        return DemoRandom(seed: mixed)
    }

    /// SplitMix64's output function (a bijective 64-bit mixer).
    static func finalize(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// The next 64 random bits.
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        return Self.finalize(state)
    }

    /// Uniform in [0, 1), with 53 random bits.
    mutating func unit() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// Uniform in [low, high).
    mutating func uniform(_ low: Double, _ high: Double) -> Double {
        low + (high - low) * unit()
    }

    /// Uniform in 0..<count (`count` > 0); the modulo bias is below 2^-50 for the small counts used here.
    mutating func below(_ count: Int) -> Int {
        Int(next() % UInt64(count))
    }

    /// A random unit vector (a direction), made with a square root only, so it is exact everywhere.
    mutating func direction() -> (x: Double, y: Double) {
        while true {
            let x = uniform(-1, 1), y = uniform(-1, 1)
            let length2 = x * x + y * y
            if length2 > 0.01 && length2 <= 1 {
                let length = length2.squareRoot()
                return (x / length, y / length)
            }
        }
    }
}
