/// A batch of images for the projector: every image's selected tokens end to end (`[Σk × inputWidth]`, in
/// the shard's ascending token order), how many each has, and their labels (−1 when unknown).
public final class ProjectorBatch<T: LearningScalar>: @unchecked Sendable {
    public let tokens: Matrix<T>
    public private(set) var tokenCounts: [Int] = []
    public private(set) var labels: [Int] = []
    public let inputWidth: Int

    public init(inputWidth: Int) {
        self.inputWidth = inputWidth
        tokens = Matrix(rows: 0, columns: inputWidth)
    }

    public var count: Int { tokenCounts.count }

    /// Empties the batch, keeping its memory.
    public func removeAll() {
        tokenCounts.removeAll(keepingCapacity: true)
        labels.removeAll(keepingCapacity: true)
        tokens.resize(rows: 0, columns: inputWidth)
    }

    /// Appends an image: `tokenCount` rows of `inputWidth` values from `values`.
    public func append<S: BinaryFloatingPoint>(tokens values: UnsafeBufferPointer<S>, tokenCount: Int, label: Int) {
        precondition(
            values.count == tokenCount * inputWidth, "ProjectorBatch: \(values.count) values for \(tokenCount) tokens")
        let start = tokens.rows
        tokens.resize(rows: start + tokenCount, columns: inputWidth, keepingContents: true)
        let p = tokens.row(start)
        for j in 0..<values.count { p[j] = T(values[j]) }
        tokenCounts.append(tokenCount)
        labels.append(label)
    }

    /// The ragged layout of the batch's sequences (CLS + tokens) and the keys the authors' mask hides
    /// (tokens that are all zeros).
    var layout: RaggedBatch {
        var masked: [[Int]] = []
        masked.reserveCapacity(count)
        var row = 0
        for k in tokenCounts {
            var keys: [Int] = []
            for t in 0..<k {
                let p = tokens.row(row + t)
                var zero = true
                for j in 0..<inputWidth where p[j] != 0 { zero = false; break }
                if zero { keys.append(t + 1) }
            }
            masked.append(keys)
            row += k
        }
        return RaggedBatch(lengths: tokenCounts.map { $0 + 1 }, maskedKeys: masked)
    }
}
