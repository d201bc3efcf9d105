/// Small numeric helpers made of `+ - * /`, `floor` and `sqrt` only: these are exactly rounded by IEEE 754,
/// so results do not depend on the platform's libm (whose `sin` and `exp` differ between systems).
enum DemoMath {
    /// `value` limited to `low...high`.
    @inline(__always)
    static func clamp(_ value: Double, _ low: Double, _ high: Double) -> Double {
        value < low ? low : (value > high ? high : value)
    }

    /// 0 below `edge0`, 1 above `edge1`, a smooth cubic between.
    @inline(__always)
    static func smoothstep(_ edge0: Double, _ edge1: Double, _ x: Double) -> Double {
        let t = clamp((x - edge0) / (edge1 - edge0), 0, 1)
        return t * t * (3 - 2 * t)
    }

    /// A smooth periodic wave of period 1 in [0, 1] (a smoothed triangle wave; 1 at whole numbers).
    @inline(__always)
    static func wave(_ t: Double) -> Double {
        let f = t - t.rounded(.down)
        let triangle = abs(2 * f - 1)
        return triangle * triangle * (3 - 2 * triangle)
    }

    /// `sin` and `cos` of a small angle (|angle| ≤ π/2) by their Taylor series (error below 1e-9).
    static func sinCos(_ angle: Double) -> (sin: Double, cos: Double) {
        let x2 = angle * angle
        var sine = 0.0, cosine = 0.0
        var sinTerm = angle, cosTerm = 1.0
        for n in 1...10 {
            sine += sinTerm
            cosine += cosTerm
            let k = Double(2 * n)
            sinTerm *= -x2 / (k * (k + 1))
            cosTerm *= -x2 / ((k - 1) * k)
        }
        return (sine, cosine)
    }

    /// An RGB colour (0...255 per channel) from hue (degrees), saturation and value (0...1).
    static func hsv(_ hue: Double, _ saturation: Double, _ value: Double) -> (Double, Double, Double) {
        var h = hue / 60
        h -= 6 * (h / 6).rounded(.down)
        let sector = Int(h.rounded(.down)) % 6
        let f = h - h.rounded(.down)
        let v = value * 255
        let p = v * (1 - saturation), q = v * (1 - saturation * f), t = v * (1 - saturation * (1 - f))
        switch sector {
        case 0: return (v, t, p)
        case 1: return (q, v, p)
        case 2: return (p, v, t)
        case 3: return (p, q, v)
        case 4: return (t, p, v)
        default: return (v, p, q)
        }
    }
}
