/// One in-distribution class of the demo dataset: a shape in a colour with a surface texture.
public struct DemoClass: Sendable, Equatable {
    /// The class index (ImageFolder label).
    public let index: Int
    /// The object's shape; its name is also the class's tag.
    public let shape: DemoShape
    /// The colour's name, e.g. `red`.
    public let colorName: String
    /// The object's base colour, 0...255 per channel.
    public let color: DemoColor
    /// The object's surface texture.
    public let texture: DemoTexture

    /// The class folder name: `c<index>-<shape>`, e.g. `c0-circle` (sorts in index order up to 10 classes).
    public var folder: String { "c\(index)-\(shape.rawValue)" }
    /// A readable name, e.g. `red circle`.
    public var displayName: String { "\(colorName) \(shape.rawValue)" }
    /// The class's tag in the demo vocabulary: the shape's name.
    public var tag: String { shape.rawValue }

    /// The most classes the demo can draw.
    public static let maxCount = 10

    /// The first `count` classes (1...``maxCount``), the same for every seed.
    public static func table(count: Int) -> [DemoClass] {
        let palette: [(String, DemoColor)] = [
            ("red", DemoColor(215, 38, 38)), ("blue", DemoColor(40, 80, 225)), ("yellow", DemoColor(242, 214, 40)),
            ("green", DemoColor(38, 170, 62)), ("magenta", DemoColor(225, 55, 180)),
            ("orange", DemoColor(245, 135, 20)),
            ("cyan", DemoColor(35, 200, 215)), ("purple", DemoColor(130, 50, 200)), ("white", DemoColor(242, 242, 236)),
            ("black", DemoColor(28, 28, 32))
        ]
        let shapes: [DemoShape] = [
            .circle, .square, .triangle, .hexagon, .diamond, .pentagon, .semicircle, .bar,
            .trapezoid, .parallelogram
        ]
        let textures: [DemoTexture] = [
            .solid, .hstripes, .dots, .checker, .concentric, .vstripes, .diagonal, .grid,
            .speckle, .radial
        ]
        return (0..<min(max(count, 0), maxCount)).map { i in
            DemoClass(
                index: i, shape: shapes[i], colorName: palette[i].0,
                color: palette[i].1, texture: textures[i])
        }
    }
}
