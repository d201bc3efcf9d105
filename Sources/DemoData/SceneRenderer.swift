import Imaging

/// Draws the object scenes of the in-distribution classes and of the near-OOD set: one shape in a colour
/// with a texture, jittered in scale, aspect, position, rotation and colour, on a muted background
/// (a two-colour gradient with low-frequency blotches), with pixel noise on top.
struct SceneRenderer {
    /// Width and height of the images.
    let size: Int

    /// One scene, drawn from `random`.
    func render(shape: DemoShape, color: DemoColor, texture: DemoTexture, random: inout DemoRandom) -> RGBImage {
        var canvas = Canvas(size: size)
        drawBackground(on: &canvas, random: &random)
        drawObject(shape: shape, color: color, texture: texture, on: &canvas, random: &random)
        canvas.addNoise(amplitude: random.uniform(3, 9), random: &random)
        return canvas.image()
    }

    /// A gradient between two muted colours in a random direction, with soft blotches of light and dark.
    func drawBackground(on canvas: inout Canvas, random: inout DemoRandom) {
        let from = DemoColor.random(saturation: 0.05...0.35, value: 0.3...0.85, random: &random)
        let to = DemoColor.random(saturation: 0.05...0.35, value: 0.3...0.85, random: &random)
        let direction = random.direction()
        let blotches = ValueNoise(cells: 2 + random.below(4), random: &random)
            .render(size: size)
        let blotchAmplitude = random.uniform(12, 30)
        let half = Double(size) / 2, scale = 1 / Double(size)
        blotches.withUnsafeBufferPointer { noise in
            canvas.values.withUnsafeMutableBufferPointer { v in
                for y in 0..<size {
                    let dy = (Double(y) + 0.5 - half) * direction.y
                    for x in 0..<size {
                        var t = 0.5 + ((Double(x) + 0.5 - half) * direction.x + dy) * scale
                        t = t < 0 ? 0 : (t > 1 ? 1 : t)
                        let light = noise[y * size + x] * blotchAmplitude
                        let i = (y * size + x) * 3
                        v[i] = from.red + (to.red - from.red) * t + light
                        v[i + 1] = from.green + (to.green - from.green) * t + light
                        v[i + 2] = from.blue + (to.blue - from.blue) * t + light
                    }
                }
            }
        }
    }

    /// The object, anti-aliased over one pixel, with its texture and a soft light from the top left.
    func drawObject(
        shape: DemoShape, color: DemoColor, texture: DemoTexture, on canvas: inout Canvas,
        random: inout DemoRandom
    ) {
        let radius = Double(size) * random.uniform(0.2, 0.31)
        let sx = radius * random.uniform(0.88, 1.12), sy = radius * random.uniform(0.88, 1.12)
        let margin = max(sx, sy) * 1.08
        let cx = random.uniform(margin, Double(size) - margin)
        let cy = random.uniform(margin, Double(size) - margin)
        let (sine, cosine) = DemoMath.sinCos(random.uniform(-0.27, 0.27))
        let paint = color.jittered(spread: 14, brightness: random.uniform(0.88, 1.06), random: &random)
        let grainSeed = random.next()
        let distance = ShapeDistance(shape)
        let pixelsPerUnit = min(sx, sy)

        // Only pixels within the shape's disc (plus a pixel for the anti-aliasing) can be covered.
        let reach = max(sx, sy) * distance.extent + 2
        let x0 = max(0, Int((cx - reach).rounded(.down))), x1 = min(size - 1, Int((cx + reach).rounded(.up)))
        let y0 = max(0, Int((cy - reach).rounded(.down))), y1 = min(size - 1, Int((cy + reach).rounded(.up)))
        guard x0 <= x1 && y0 <= y1 else { return }
        let limit = distance.extent + 1.5 / pixelsPerUnit, limit2 = limit * limit
        let size = self.size
        let speckle = texture == .speckle
        distance.vertices.withUnsafeBufferPointer { vertices in
            canvas.values.withUnsafeMutableBufferPointer { v in
                for y in y0...y1 {
                    let py = Double(y) + 0.5 - cy
                    for x in x0...x1 {
                        let px = Double(x) + 0.5 - cx
                        // Into the object's frame: undo the rotation, then the scale.
                        let u = (px * cosine + py * sine) / sx
                        let w = (-px * sine + py * cosine) / sy
                        if u * u + w * w > limit2 { continue }
                        var coverage = 0.5 - distance.distance(u, w, vertices: vertices) * pixelsPerUnit
                        if coverage <= 0 { continue }
                        if coverage > 1 { coverage = 1 }
                        let grain =
                            speckle
                            ? Double(DemoRandom.finalize(grainSeed ^ UInt64(y * size + x)) >> 11) * 0x1.0p-53 : 0
                        let light = 1.04 - 0.08 * (u + w)
                        let shade = texture.shade(u, w, grain: grain) * light
                        let i = (y * size + x) * 3
                        v[i] += (paint.red * shade - v[i]) * coverage
                        v[i + 1] += (paint.green * shade - v[i + 1]) * coverage
                        v[i + 2] += (paint.blue * shade - v[i + 2]) * coverage
                    }
                }
            }
        }
    }
}
