import CHDF5Shim

/// Consecutive images of a shard read column by column, for code that folds features rather than
/// keeping images (the reducer): `tokens` and `global_embed` stay in one buffer each, in the stored
/// dtype, and are widened only inside ``addTokenRows(of:into:)`` and ``globalEmbed(of:into:)``. No
/// per-image arrays are made.
///
/// Get blocks from ``ShardReader/columnBlocks(maxBlockImages:maxBlockTokens:)``. Offsets are checked
/// (never decreasing, within the row counts) before a block is handed out.
public struct ShardColumnBlock: Sendable {
    /// Rows of one float dataset, as stored.
    enum Rows: Sendable {
        case float16([UInt16])
        case float32([Float])
    }

    /// The first image's row in the shard.
    public let start: Int
    /// The images in the block.
    public let count: Int
    /// The width of a token row.
    public let embedDim: Int
    /// Each image's class index (-1 for OOD images).
    public let labels: [Int32]
    /// Each image's status byte (``ImageStatus``).
    public let statuses: [UInt8]
    /// `token_offsets[start ... start + count]`, as stored (absolute rows).
    public let tokenOffsets: [Int64]
    /// `tag_offsets[start ... start + count]`, as stored.
    public let tagOffsets: [Int64]
    /// The tag probabilities of the block's images (tags `tagOffsets[0] ..< tagOffsets[count]`).
    public let tagProbs: [Float]
    let tokens: Rows
    let globalEmbeds: Rows

    /// Image `i`'s status (`i` in `0 ..< count`).
    public func status(_ i: Int) -> ImageStatus { ImageStatus(rawValue: statuses[i]) }

    /// Image `i`'s number of token rows.
    public func tokenCount(of i: Int) -> Int { Int(tokenOffsets[i + 1] - tokenOffsets[i]) }

    /// Image `i`'s tag probabilities.
    public func tagProbs(of i: Int) -> ArraySlice<Float> {
        let base = Int(tagOffsets[0])
        return tagProbs[Int(tagOffsets[i]) - base ..< Int(tagOffsets[i + 1]) - base]
    }

    /// Adds image `i`'s token rows into `sum` (``embedDim`` doubles), row by row in order, each value
    /// widened exactly to Double (the same sums as adding `Double(token)` over ``ShardImage/tokens``).
    public func addTokenRows(of i: Int, into sum: UnsafeMutablePointer<Double>) {
        let first = Int(tokenOffsets[i] - tokenOffsets[0]), rows = tokenCount(of: i)
        guard rows > 0 else { return }
        switch tokens {
        case .float16(let bits):
            bits.withUnsafeBufferPointer { tagood_f16_rows_add_f64($0.baseAddress! + first * embedDim, rows, embedDim, sum) }
        case .float32(let values):
            values.withUnsafeBufferPointer { tagood_f32_rows_add_f64($0.baseAddress! + first * embedDim, rows, embedDim, sum) }
        }
    }

    /// Writes image `i`'s `global_embed` row, widened to Double, to `row` (``embedDim`` doubles).
    public func globalEmbed(of i: Int, into row: UnsafeMutablePointer<Double>) {
        row.initialize(repeating: 0, count: embedDim)
        switch globalEmbeds {
        case .float16(let bits):
            bits.withUnsafeBufferPointer { tagood_f16_rows_add_f64($0.baseAddress! + i * embedDim, 1, embedDim, row) }
        case .float32(let values):
            values.withUnsafeBufferPointer { tagood_f32_rows_add_f64($0.baseAddress! + i * embedDim, 1, embedDim, row) }
        }
    }
}
