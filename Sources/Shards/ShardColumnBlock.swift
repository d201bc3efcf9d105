import CHDF5Shim

/// Consecutive images of a shard read column by column, for code that folds features rather than
/// keeping images (the reducer): `tokens` and `global_embed` stay as stored, and are widened only inside
/// ``addTokenRows(of:into:)`` and ``globalEmbed(of:into:)``. No per-image arrays are made, and for a
/// shard opened from its checked in-memory image (``ShardReader``) with unfiltered datasets, no copy
/// either: the rows are read where they lie in the image, chunk by chunk.
///
/// Get blocks from ``ShardReader/columnBlocks(maxBlockImages:maxBlockTokens:)``. Offsets are checked
/// (never decreasing, within the row counts) before a block is handed out.
public struct ShardColumnBlock: Sendable {
    /// Rows of one float dataset, as stored (float16 or float32), in pieces of consecutive rows: the
    /// chunks of the dataset in the file image (piece p holds rows `origin + p·pieceRows ..<` the next
    /// piece), or one buffer that HDF5 read the block's rows into.
    struct Rows: @unchecked Sendable {
        let isFloat16: Bool
        let width: Int
        /// The row where piece 0 starts (absolute), and the rows per piece.
        let origin: Int, pieceRows: Int
        /// Where each piece's first row lies.
        let pieces: [UnsafeRawPointer]
        /// What keeps the pieces' memory alive: the file image, or the buffer.
        let owner: AnyObject

        /// Calls `body` with the address of each run of rows `start ..< start + count` (absolute) that is
        /// contiguous in memory, in order, and the run's row count.
        @inline(__always)
        func forEachRun(start: Int, count: Int, _ body: (UnsafeRawPointer, Int) -> Void) {
            let rowBytes = width * (isFloat16 ? 2 : 4)
            var row = start, left = count
            while left > 0 {
                let piece = (row - origin) / pieceRows, within = (row - origin) - piece * pieceRows
                let n = min(left, pieceRows - within)
                body(pieces[piece] + within * rowBytes, n)
                row += n
                left -= n
            }
        }

        /// Adds rows `start ..< start + count` into `sum` (`width` doubles), row by row in order.
        func add(start: Int, count: Int, into sum: UnsafeMutablePointer<Double>) {
            forEachRun(start: start, count: count) { base, n in
                if isFloat16 {
                    tagood_f16_rows_add_f64(base.assumingMemoryBound(to: UInt16.self), n, width, sum)
                } else {
                    tagood_f32_rows_add_f64(base.assumingMemoryBound(to: Float.self), n, width, sum)
                }
            }
        }
    }

    /// A buffer HDF5 reads rows into (page-aligned, freed with the last block that uses it).
    final class RowBuffer {
        let base: UnsafeMutableRawPointer
        init(bytes: Int) { base = UnsafeMutableRawPointer.allocate(byteCount: max(bytes, 1), alignment: 64) }
        deinit { base.deallocate() }
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
        return tagProbs[Int(tagOffsets[i]) - base..<Int(tagOffsets[i + 1]) - base]
    }

    /// Adds image `i`'s token rows into `sum` (``embedDim`` doubles), row by row in order, each value
    /// widened exactly to Double (the same sums as adding `Double(token)` over ``ShardRecord/tokens``).
    public func addTokenRows(of i: Int, into sum: UnsafeMutablePointer<Double>) {
        tokens.add(start: Int(tokenOffsets[i]), count: tokenCount(of: i), into: sum)
    }

    /// Writes image `i`'s `global_embed` row, widened to Double, to `row` (``embedDim`` doubles).
    public func globalEmbed(of i: Int, into row: UnsafeMutablePointer<Double>) {
        row.initialize(repeating: 0, count: embedDim)
        globalEmbeds.add(start: start + i, count: 1, into: row)
    }
}
