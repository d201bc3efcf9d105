/// How the writer lays datasets out in the file: chunk shapes. The h5py reference writer
/// (tools/bench/shard_write_reference.py) uses the same rule.
public enum ShardLayout {
    /// The most rows one chunk of any dataset holds.
    public static let maxChunkRows = 16384

    /// Rows per chunk for rows of `rowBytes` bytes: `chunkBytes / rowBytes`, clamped to
    /// 1…``maxChunkRows``. Strings count 16 bytes a row (the size of their heap reference in the file).
    public static func chunkRows(rowBytes: Int, chunkBytes: Int) -> Int {
        max(1, min(chunkBytes / max(rowBytes, 1), maxChunkRows))
    }

    /// Bytes a row of `width` elements of `element` takes in the file, for chunk sizing.
    static func fileRowBytes(_ element: ShardSchema.Element, width: Int) -> Int {
        element == .utf8String ? 16 : element.size * width
    }
}
