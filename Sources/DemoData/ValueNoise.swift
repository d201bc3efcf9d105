/// Smooth random noise: random values on a coarse `cells × cells` lattice, interpolated with smoothstep
/// weights. Few cells give slow blotches (backgrounds); many give a fine grain (far-OOD noise fields).
struct ValueNoise {
    private let cells: Int
    private let lattice: [Double]

    /// Draws a lattice of `cells × cells` cells with values uniform in -1...1.
    init(cells: Int, random: inout DemoRandom) {
        self.cells = max(cells, 1)
        let side = self.cells + 1
        lattice = (0..<(side * side)).map { _ in random.uniform(-1, 1) }
    }

    /// Fills `out` (`size * size` values, row-major) with the noise over a `size × size` image.
    func render(size: Int, into out: inout [Double]) {
        let side = cells + 1
        let step = Double(cells) / Double(size)
        // Per-column cell and weight, computed once.
        var column = [Int](repeating: 0, count: size)
        var columnWeight = [Double](repeating: 0, count: size)
        for x in 0..<size {
            let gx = (Double(x) + 0.5) * step
            let cx = min(Int(gx), cells - 1)
            column[x] = cx
            columnWeight[x] = DemoMath.smoothstep(0, 1, gx - Double(cx))
        }
        lattice.withUnsafeBufferPointer { l in
            out.withUnsafeMutableBufferPointer { o in
                for y in 0..<size {
                    let gy = (Double(y) + 0.5) * step
                    let cy = min(Int(gy), cells - 1)
                    let wy = DemoMath.smoothstep(0, 1, gy - Double(cy))
                    let top = cy * side, bottom = top + side
                    for x in 0..<size {
                        let cx = column[x], wx = columnWeight[x]
                        let a = l[top + cx] + (l[top + cx + 1] - l[top + cx]) * wx
                        let b = l[bottom + cx] + (l[bottom + cx + 1] - l[bottom + cx]) * wx
                        o[y * size + x] = a + (b - a) * wy
                    }
                }
            }
        }
    }

    /// The noise over a `size × size` image, as a new array.
    func render(size: Int) -> [Double] {
        var out = [Double](repeating: 0, count: size * size)
        render(size: size, into: &out)
        return out
    }
}
