/// The surface patterns of the in-distribution objects, evaluated in the object's own coordinates so
/// that a pattern moves, scales and turns with its object.
public enum DemoTexture: String, Sendable, CaseIterable {
    /// Plain colour; horizontal stripes; polka dots; a checkerboard; vertical stripes; concentric rings;
    /// diagonal stripes; grid lines; random speckles; a radial fade.
    case solid, hstripes, dots, checker, vstripes, concentric, diagonal, grid, speckle, radial

    /// The brightness factor (0.5...1) of the surface at (u, v); `grain` is a per-pixel random value
    /// in 0...1 (used by `speckle` only).
    func shade(_ u: Double, _ v: Double, grain: Double) -> Double {
        let t: Double
        switch self {
        case .solid: t = 1
        case .hstripes: t = DemoMath.wave(v * 2.6)
        case .vstripes: t = DemoMath.wave(u * 2.6)
        case .diagonal: t = DemoMath.wave((u + v) * 1.9)
        case .concentric: t = DemoMath.wave((u * u + v * v).squareRoot() * 3.2)
        case .checker:
            let cell = Int((u * 2.5 + 10).rounded(.down)) + Int((v * 2.5 + 10).rounded(.down))
            t = cell & 1 == 0 ? 1 : 0.1
        case .dots:
            let fu = u * 2.8 - (u * 2.8).rounded(), fv = v * 2.8 - (v * 2.8).rounded()
            t = DemoMath.smoothstep(0.22, 0.3, (fu * fu + fv * fv).squareRoot())
        case .grid:
            let fu = abs(u * 3 - (u * 3).rounded()), fv = abs(v * 3 - (v * 3).rounded())
            t = DemoMath.smoothstep(0.08, 0.14, min(fu, fv))
        case .speckle: t = grain < 0.35 ? 0.2 : 1
        case .radial: t = 1 - DemoMath.clamp((u * u + v * v).squareRoot(), 0, 1)
        }
        return 0.5 + 0.5 * t
    }
}
