/// The sequences of a batch laid end to end without padding: sample i owns rows
/// `starts[i] ..< starts[i] + lengths[i]` of every per-row matrix (its CLS row first, then its tokens).
///
/// PyTorch pads a batch to its longest sample and masks the padding with −1000; here the padding is simply
/// absent. The two agree: a masked key's weight is e^(−1000 + s − max), which is exactly 0 in float32 and
/// float64, and the padded rows' own outputs feed nothing the loss sees.
struct RaggedBatch: Sendable, Equatable {
    /// Each sample's first row.
    let starts: [Int]
    /// Each sample's row count (tokens + 1).
    let lengths: [Int]
    /// All rows.
    let totalRows: Int
    /// Per sample, the key positions (0 = CLS) whose token is all zeros: their attention logits get −1000,
    /// as the authors' mask gives them.
    let maskedKeys: [[Int]]

    init(lengths: [Int], maskedKeys: [[Int]]? = nil) {
        self.lengths = lengths
        var starts: [Int] = []
        starts.reserveCapacity(lengths.count)
        var total = 0
        for l in lengths { starts.append(total); total += l }
        self.starts = starts
        totalRows = total
        self.maskedKeys = maskedKeys ?? Array(repeating: [], count: lengths.count)
    }

    var count: Int { lengths.count }
    var longest: Int { lengths.max() ?? 0 }
}

/// Which rows of a ragged batch an attention layer (and the rest of its block) computes outputs for.
enum QueryRows: Sendable {
    /// Every row: a full encoder block.
    case all
    /// Only each sample's first (CLS) row, the one the final feature is read from: the last block needs
    /// nothing else, and skipping the rest is exact.
    case first

    /// The number of query rows of `batch`.
    func count(_ batch: RaggedBatch) -> Int {
        switch self {
        case .all: batch.totalRows
        case .first: batch.count
        }
    }

    /// Sample i's query rows: its first row in the batch's row matrices, its first row in the query-row
    /// matrices, and how many.
    @inline(__always)
    func rows(_ batch: RaggedBatch, _ i: Int) -> (source: Int, output: Int, count: Int) {
        switch self {
        case .all: (batch.starts[i], batch.starts[i], batch.lengths[i])
        case .first: (batch.starts[i], i, 1)
        }
    }
}
