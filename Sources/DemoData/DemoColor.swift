/// An RGB colour with channels on the 0...255 scale.
public struct DemoColor: Sendable, Equatable {
    /// Red, 0...255.
    public var red: Double
    /// Green, 0...255.
    public var green: Double
    /// Blue, 0...255.
    public var blue: Double

    /// A colour from its three channels.
    public init(_ red: Double, _ green: Double, _ blue: Double) {
        self.red = red
        self.green = green
        self.blue = blue
    }

    /// A colour from hue (degrees), saturation and value (0...1).
    static func hsv(_ hue: Double, _ saturation: Double, _ value: Double) -> DemoColor {
        let c = DemoMath.hsv(hue, saturation, value)
        return DemoColor(c.0, c.1, c.2)
    }

    /// A random colour: hue anywhere, saturation and value within the given ranges.
    static func random(
        saturation: ClosedRange<Double>, value: ClosedRange<Double>,
        random: inout DemoRandom
    ) -> DemoColor {
        let hue = random.uniform(0, 360)
        let s = random.uniform(saturation.lowerBound, saturation.upperBound)
        let v = random.uniform(value.lowerBound, value.upperBound)
        return hsv(hue, s, v)
    }

    /// This colour with each channel moved by up to ±`spread` and the whole scaled by `brightness`.
    func jittered(spread: Double, brightness: Double, random: inout DemoRandom) -> DemoColor {
        DemoColor(
            (red + random.uniform(-spread, spread)) * brightness,
            (green + random.uniform(-spread, spread)) * brightness,
            (blue + random.uniform(-spread, spread)) * brightness)
    }
}
