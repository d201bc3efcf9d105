/// The objects drawn in the demo images, each as a signed distance function in the object's own
/// coordinates (the shape fits the disc of radius about 1; y points down, as in the image).
///
/// The first ten are the in-distribution classes' shapes; the rest appear only in the near-OOD set.
public enum DemoShape: String, Sendable, CaseIterable {
    /// An in-distribution class shape (classes 0...9 in this order).
    case circle, square, triangle, hexagon, diamond, pentagon, semicircle, bar, trapezoid, parallelogram
    /// A near-OOD shape: drawn in the in-distribution style, never a class.
    case star, cross, ring, crescent, arrow, chevron

    /// The shapes of the near-OOD set.
    public static let nearOOD: [DemoShape] = [.star, .cross, .ring, .crescent, .arrow, .chevron]

    /// The polygon outline of a polygonal shape (nil for the round ones and the cross).
    var polygon: [(Double, Double)]? {
        switch self {
        case .square: return [(-0.78, -0.78), (0.78, -0.78), (0.78, 0.78), (-0.78, 0.78)]
        case .triangle: return Self.regular(sides: 3, radius: 1.05)
        case .hexagon: return Self.regular(sides: 6, radius: 0.95)
        case .pentagon: return Self.regular(sides: 5, radius: 0.98)
        case .diamond: return [(0, -1.05), (0.68, 0), (0, 1.05), (-0.68, 0)]
        case .bar: return [(-1.0, -0.34), (1.0, -0.34), (1.0, 0.34), (-1.0, 0.34)]
        case .trapezoid: return [(-0.48, -0.6), (0.48, -0.6), (1.0, 0.6), (-1.0, 0.6)]
        case .parallelogram: return [(-0.5, -0.55), (1.0, -0.55), (0.5, 0.55), (-1.0, 0.55)]
        case .star: return Self.star(points: 5, outer: 1.05, inner: 0.42)
        case .arrow:
            return [(-1, -0.24), (0.15, -0.24), (0.15, -0.62), (1, 0), (0.15, 0.62), (0.15, 0.24), (-1, 0.24)]
        case .chevron: return [(-0.85, -0.85), (-0.25, -0.85), (0.7, 0), (-0.25, 0.85), (-0.85, 0.85), (0.1, 0)]
        case .circle, .semicircle, .cross, .ring, .crescent: return nil
        }
    }

    /// The vertices of a regular polygon with one vertex at the top.
    static func regular(sides: Int, radius: Double) -> [(Double, Double)] {
        // Unit directions by repeated exact-enough rotation (no libm): start at the top (0, -1).
        let step = DemoMath.sinCos(3.141592653589793 / Double(sides))
        // Rotating by 2π/n = two half-steps.
        let sin2 = 2 * step.sin * step.cos, cos2 = step.cos * step.cos - step.sin * step.sin
        var x = 0.0, y = -1.0
        var points: [(Double, Double)] = []
        for _ in 0..<sides {
            points.append((x * radius, y * radius))
            (x, y) = (x * cos2 - y * sin2, x * sin2 + y * cos2)
        }
        return points
    }

    /// A star with `points` tips, alternating outer and inner vertices.
    static func star(points: Int, outer: Double, inner: Double) -> [(Double, Double)] {
        let tips = regular(sides: 2 * points, radius: 1)
        return tips.enumerated().map { i, p in
            let r = i % 2 == 0 ? outer : inner
            return (p.0 * r, p.1 * r)
        }
    }
}

/// A shape ready to be evaluated per pixel: the polygon flattened into one array of x, y pairs.
struct ShapeDistance {
    let shape: DemoShape
    /// x0, y0, x1, y1, … of the polygon (empty for the other shapes).
    let vertices: [Double]
    /// The radius of a disc around the origin that holds the whole shape.
    let extent: Double

    init(_ shape: DemoShape) {
        self.shape = shape
        let polygon = shape.polygon ?? []
        vertices = polygon.flatMap { [$0.0, $0.1] }
        switch shape {
        case .circle: extent = 0.92
        case .semicircle: extent = 1.13 // the corners (±1.05, 0.4)
        case .cross: extent = 1.0 // the arm ends (±0.95, ±0.3)
        case .ring: extent = 0.96
        case .crescent: extent = 0.98
        default: extent = polygon.map { ($0.0 * $0.0 + $0.1 * $0.1).squareRoot() }.max() ?? 1
        }
    }

    /// The signed distance from the point (x, y) to the shape's outline: negative inside. `vertices` is
    /// ``vertices`` (passed in so that the per-pixel loop holds one buffer for the whole shape).
    func distance(_ x: Double, _ y: Double, vertices: UnsafeBufferPointer<Double>) -> Double {
        switch shape {
        case .circle:
            return (x * x + y * y).squareRoot() - 0.92
        case .semicircle:
            let dy = y - 0.4
            return max((x * x + dy * dy).squareRoot() - 1.05, dy)
        case .cross:
            return min(Self.box(x, y, 0.95, 0.3), Self.box(x, y, 0.3, 0.95))
        case .ring:
            return abs((x * x + y * y).squareRoot() - 0.72) - 0.24
        case .crescent:
            let dx = x - 0.42, dy = y + 0.22
            return max((x * x + y * y).squareRoot() - 0.98, 0.84 - (dx * dx + dy * dy).squareRoot())
        default:
            return Self.polygonDistance(x, y, vertices)
        }
    }

    /// The signed distance to an axis-aligned box with half-sizes (hx, hy).
    static func box(_ x: Double, _ y: Double, _ hx: Double, _ hy: Double) -> Double {
        let qx = abs(x) - hx, qy = abs(y) - hy
        let ox = max(qx, 0), oy = max(qy, 0)
        return (ox * ox + oy * oy).squareRoot() + min(max(qx, qy), 0)
    }

    /// The exact signed distance to a simple polygon (any winding): the nearest edge, and the sign from
    /// the even-odd crossing rule.
    static func polygonDistance(_ x: Double, _ y: Double, _ v: UnsafeBufferPointer<Double>) -> Double {
        let n = v.count / 2
        var best = Double.infinity
        var inside = false
        var j = n - 1
        for i in 0..<n {
            let xi = v[2 * i], yi = v[2 * i + 1], xj = v[2 * j], yj = v[2 * j + 1]
            let ex = xj - xi, ey = yj - yi
            let wx = x - xi, wy = y - yi
            var t = (wx * ex + wy * ey) / (ex * ex + ey * ey)
            t = t < 0 ? 0 : (t > 1 ? 1 : t)
            let bx = wx - ex * t, by = wy - ey * t
            let d2 = bx * bx + by * by
            if d2 < best { best = d2 }
            if (yi > y) != (yj > y) && x < xi + ex * (y - yi) / ey {
                inside.toggle()
            }
            j = i
        }
        let d = best.squareRoot()
        return inside ? -d : d
    }
}
