/// The EMA class centers `[C × patterns × (W / patterns)]`: they start from a seeded standard normal and,
/// after each step, `centers[y] ← 0.999 · centers[y] + 0.001 · f` from the step's features, without gradient.
///
/// The update reads the centers from before the step. When a class occurs more than once in a batch the
/// last occurrence's update is the one kept: what PyTorch's index assignment `centers[y] = …` does on the
/// CPU, where each row of the source is written in order.
public final class ClassCenters<T: LearningScalar>: @unchecked Sendable {
    public let classes: Int
    public let width: Int
    public let values: Matrix<T>
    public var momentum: Double = 0.999

    public init(classes: Int, width: Int) {
        self.classes = classes
        self.width = width
        values = Matrix(rows: classes, columns: width)
    }

    /// Fills the centers with standard-normal values from `seed`.
    public func initialise(seed: UInt64) {
        var random = GaussianRandom(seed: seed)
        for e in 0..<values.count { values.pointer[e] = T(random.normal()) }
    }

    /// The EMA update from `features [B × W]` with `labels`.
    @_specialize(exported:true,where T == Float)
    public func update(features: Matrix<T>, labels: [Int]) {
        let keep = T(momentum), add = T(1 - momentum)
        var updated: [Int: [T]] = [:]
        for (i, y) in labels.enumerated() {
            let c = values.row(y), f = features.row(i)
            updated[y] = (0..<width).map { keep * c[$0] + add * f[$0] }
        }
        for (y, row) in updated {
            row.withUnsafeBufferPointer { values.row(y).update(from: $0.baseAddress!, count: width) }
        }
    }
}
