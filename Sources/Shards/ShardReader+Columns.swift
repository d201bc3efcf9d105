extension ShardReader {
    /// A cursor over the images in ``ShardColumnBlock``s: at most `maxBlockImages` images a block and,
    /// unless one image alone has more, `maxBlockTokens` token rows. Checks the structure first (types,
    /// shapes, counts) but not the checksums: call ``verify(content:)`` for those.
    public func columnBlocks(maxBlockImages: Int = 512, maxBlockTokens: Int = 16384) throws(ShardError) -> ShardColumnCursor {
        let structure = try openStructure(header: try header())
        return ShardColumnCursor(reader: self, structure: structure, maxBlockImages: max(1, maxBlockImages),
                                 maxBlockTokens: max(1, maxBlockTokens))
    }

    /// Reads the images `from ..< from + n` where n ≤ `maxImages` and their tokens fit in `maxTokens` rows
    /// (always at least one image), column by column.
    func readColumnBlock(_ s: Structure, from start: Int, maxImages: Int, maxTokens: Int) throws(ShardError) -> ShardColumnBlock {
        HDF5.prepareThread()
        let spec = { (name: String) in s.datasets.first { $0.spec.name == name }!.spec }
        let (tokenOffsets, tagOffsets) = try readBlockOffsets(s, from: start, maxImages: maxImages, maxTokens: maxTokens)
        let n = tokenOffsets.count - 1
        let t0 = Int(tokenOffsets[0]), t1 = Int(tokenOffsets[n]), k0 = Int(tagOffsets[0]), k1 = Int(tagOffsets[n])
        let embedDim = s.header.metadata.embedDim
        return ShardColumnBlock(
            start: start, count: n, embedDim: embedDim,
            labels: try readArray(s.handle("labels"), spec("labels"), start: start, count: n, as: Int32.self,
                                  subject: "dataset `labels`"),
            statuses: try readArray(s.handle("status"), spec("status"), start: start, count: n, as: UInt8.self,
                                    subject: "dataset `status`"),
            tokenOffsets: tokenOffsets, tagOffsets: tagOffsets,
            tagProbs: try readArray(s.handle("tag_probs"), spec("tag_probs"), start: k0, count: k1 - k0, as: Float.self,
                                    subject: "dataset `tag_probs`"),
            tokens: try readStoredRows(s, "tokens", width: embedDim, start: t0, count: t1 - t0),
            globalEmbeds: try readStoredRows(s, "global_embed", width: embedDim, start: start, count: n))
    }

    /// Reads float16 or float32 rows as they are stored.
    private func readStoredRows(_ s: Structure, _ name: String, width: Int, start: Int, count: Int) throws(ShardError) -> ShardColumnBlock.Rows {
        let entry = s.datasets.first { $0.spec.name == name }!
        let subject = "dataset `\(name)`"
        if entry.spec.element == .float32 {
            return .float32(try readArray(entry.handle, entry.spec, width: width, start: start, count: count, as: Float.self, subject: subject))
        }
        return .float16(try readArray(entry.handle, entry.spec, width: width, start: start, count: count, as: UInt16.self, subject: subject))
    }
}

/// Streams a shard's images as ``ShardColumnBlock``s, in order. Get one from
/// ``ShardReader/columnBlocks(maxBlockImages:maxBlockTokens:)``; call ``next()`` until it returns nil.
public final class ShardColumnCursor {
    private let reader: ShardReader
    private let structure: ShardReader.Structure
    private let maxBlockImages: Int
    private let maxBlockTokens: Int
    private var nextImage = 0

    init(reader: ShardReader, structure: ShardReader.Structure, maxBlockImages: Int, maxBlockTokens: Int) {
        self.reader = reader
        self.structure = structure
        self.maxBlockImages = maxBlockImages
        self.maxBlockTokens = maxBlockTokens
    }

    /// Images in the shard (N).
    public var count: Int { structure.images }

    /// The next block, or nil after the last image.
    public func next() throws(ShardError) -> ShardColumnBlock? {
        guard nextImage < structure.images else { return nil }
        let block = try reader.readColumnBlock(structure, from: nextImage, maxImages: maxBlockImages, maxTokens: maxBlockTokens)
        nextImage += block.count
        return block
    }
}
