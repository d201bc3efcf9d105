import Imaging

/// The kinds of far-OOD image: full-frame textures and scenes with no object in them.
public enum DemoFarKind: String, Sendable, CaseIterable {
    /// Stripes at any angle; a turned checkerboard; a fine three-octave colour noise field; two crossed
    /// wave patterns; a two-colour linear gradient. The raw value is the kind's tag.
    case stripes, checkerboard, noise, waves, gradient
}

/// Draws the far-OOD images: high-contrast, saturated full-frame patterns (stripes, checkerboards, fine
/// noise fields, wave interference) and plain gradients, unlike the muted object scenes of the
/// in-distribution classes.
struct TextureRenderer {
    /// Width and height of the images.
    let size: Int

    /// One image of the given kind, drawn from `random`.
    func render(_ kind: DemoFarKind, random: inout DemoRandom) -> RGBImage {
        var canvas = Canvas(size: size)
        let a = DemoColor.random(saturation: 0.5...1, value: 0.6...1, random: &random)
        let b = DemoColor.random(saturation: 0.3...1, value: 0.05...0.6, random: &random)
        switch kind {
        case .stripes:
            let direction = random.direction()
            let period = random.uniform(5, 18)
            let hard = random.unit() < 0.5
            fill(&canvas, a, b) { x, y in
                let t = DemoMath.wave((x * direction.x + y * direction.y) / period)
                return hard ? (t < 0.5 ? 0 : 1) : t
            }
        case .checkerboard:
            let direction = random.direction()
            let cell = random.uniform(6, 20)
            fill(&canvas, a, b) { x, y in
                let s = (x * direction.x + y * direction.y) / cell, t = (y * direction.x - x * direction.y) / cell
                return (Int(s.rounded(.down)) + Int(t.rounded(.down))) & 1 == 0 ? 0 : 1
            }
        case .noise:
            drawNoiseField(on: &canvas, random: &random)
        case .waves:
            let d1 = random.direction(), d2 = random.direction()
            let p1 = random.uniform(8, 30), p2 = random.uniform(8, 30)
            fill(&canvas, a, b) { x, y in
                0.5 * DemoMath.wave((x * d1.x + y * d1.y) / p1) + 0.5 * DemoMath.wave((x * d2.x + y * d2.y) / p2)
            }
        case .gradient:
            let direction = random.direction()
            let half = Double(size) / 2, scale = 1 / Double(size)
            fill(&canvas, a, b) { x, y in
                DemoMath.clamp(0.5 + ((x - half) * direction.x + (y - half) * direction.y) * scale * 1.2, 0, 1)
            }
        }
        canvas.addNoise(amplitude: random.uniform(3, 12), random: &random)
        return canvas.image()
    }

    /// Paints every pixel `a + (b - a) * mix(x, y)` (pixel centres as coordinates).
    private func fill(_ canvas: inout Canvas, _ a: DemoColor, _ b: DemoColor, _ mix: (Double, Double) -> Double) {
        let size = self.size
        canvas.values.withUnsafeMutableBufferPointer { v in
            for y in 0..<size {
                for x in 0..<size {
                    let t = mix(Double(x) + 0.5, Double(y) + 0.5)
                    let i = (y * size + x) * 3
                    v[i] = a.red + (b.red - a.red) * t
                    v[i + 1] = a.green + (b.green - a.green) * t
                    v[i + 2] = a.blue + (b.blue - a.blue) * t
                }
            }
        }
    }

    /// Three octaves of value noise per channel, fine grain dominating: a colourful, busy field.
    private func drawNoiseField(on canvas: inout Canvas, random: inout DemoRandom) {
        let count = size * size
        var octave = [Double](repeating: 0, count: count)
        for channel in 0..<3 {
            let mean = random.uniform(60, 200)
            var sum = [Double](repeating: mean, count: count)
            for (cells, amplitude) in [(size / 20, 40.0), (size / 8, 50.0), (size / 3, 60.0)] {
                ValueNoise(cells: cells, random: &random).render(size: size, into: &octave)
                for i in 0..<count { sum[i] += octave[i] * amplitude }
            }
            canvas.values.withUnsafeMutableBufferPointer { v in
                for i in 0..<count { v[i * 3 + channel] = sum[i] }
            }
        }
    }
}
