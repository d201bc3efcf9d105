/// The KNN bank read from partial files in order and cut into chunks of exactly
/// ``KNNScorer/chunkRows`` rows (the last one shorter), so chunk boundaries never depend on how the
/// partials are cut.
public struct BankChunks {
    private let paths: [String]
    private let d: Int
    private let chunkRows: Int
    private var nextPath = 0
    private var pending: [Float] = []

    public init(partials: [String], d: Int, chunkRows: Int = KNNScorer.chunkRows) {
        self.paths = partials
        self.d = d
        self.chunkRows = chunkRows
    }

    /// The next chunk, or nil at the end.
    public mutating func next() throws(ReduceError) -> [Float]? {
        let want = chunkRows * d
        while pending.count < want && nextPath < paths.count {
            let path = paths[nextPath]
            nextPath += 1
            let partial = try ShardPartial(file: try ArrayFile.read(path: path), path: path)
            guard partial.embedDim == d else {
                throw ReduceError(.damaged, "partial \(path) has embed_dim \(partial.embedDim); the bank is \(d) wide")
            }
            pending += partial.bankFeatures
        }
        if pending.isEmpty { return nil }
        if pending.count <= want {
            defer { pending = [] }
            return pending
        }
        let chunk = Array(pending[0..<want])
        pending.removeFirst(want)
        return chunk
    }
}
