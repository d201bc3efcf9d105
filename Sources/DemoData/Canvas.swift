import Imaging

/// A square RGB drawing surface with `Double` channels on the 0...255 scale (values may stray outside
/// while drawing; ``image()`` clamps and rounds them).
struct Canvas {
    /// Width and height in pixels.
    let size: Int
    /// `size * size * 3` channel values, interleaved RGB, row-major.
    var values: [Double]

    /// A black canvas.
    init(size: Int) {
        self.size = size
        values = [Double](repeating: 0, count: size * size * 3)
    }

    /// Adds noise of about `amplitude` levels (a triangular distribution, -amplitude...amplitude) to every
    /// channel of every pixel. Each random byte gives one sample, so a 64-bit draw serves 8 channels.
    mutating func addNoise(amplitude: Double, random: inout DemoRandom) {
        guard amplitude > 0 else { return }
        let scale = amplitude / 15
        values.withUnsafeMutableBufferPointer { v in
            var bits: UInt64 = 0
            for i in 0..<v.count {
                if i & 7 == 0 { bits = random.next() }
                let byte = Int(bits & 0xFF)
                bits >>= 8
                v[i] += Double((byte & 15) + (byte >> 4) - 15) * scale
            }
        }
    }

    /// The canvas as an 8-bit image: each channel clamped to 0...255 and rounded half up.
    func image() -> RGBImage {
        let pixels = [UInt8](unsafeUninitializedCapacity: values.count) { out, initialized in
            values.withUnsafeBufferPointer { v in
                for i in 0..<v.count {
                    let x = v[i]
                    out[i] = x <= 0 ? 0 : (x >= 255 ? 255 : UInt8(Int(x + 0.5)))
                }
            }
            initialized = values.count
        }
        return RGBImage(width: size, height: size, pixels: pixels)
    }
}
