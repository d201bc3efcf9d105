#if canImport(Glibc)
import Glibc
#endif

extension ShardReader {
    /// A cursor over the images in ``ShardColumnBlock``s: at most `maxBlockImages` images a block and,
    /// unless one image alone has more, `maxBlockTokens` token rows. Checks the structure first (types,
    /// shapes, counts) but not the checksums: call ``verify(content:)`` for those.
    public func columnBlocks(
        maxBlockImages: Int = 512, maxBlockTokens: Int = 16384
    ) throws(ShardError) -> ShardColumnCursor {
        let structure = try openStructure(header: try header())
        return ShardColumnCursor(
            reader: self, structure: structure, maxBlockImages: max(1, maxBlockImages),
            maxBlockTokens: max(1, maxBlockTokens))
    }

    /// Reads the images `from ..< from + n` where n ≤ `maxImages` and their tokens fit in `maxTokens` rows
    /// (always at least one image), column by column.
    func readColumnBlock(
        _ s: Structure, from start: Int, maxImages: Int, maxTokens: Int
    ) throws(ShardError) -> ShardColumnBlock {
        HDF5.prepareThread()
        let spec = { (name: String) in s.datasets.first { $0.spec.name == name }!.spec }
        let (tokenOffsets, tagOffsets) = try readBlockOffsets(
            s, from: start, maxImages: maxImages, maxTokens: maxTokens)
        let n = tokenOffsets.count - 1
        let t0 = Int(tokenOffsets[0]), t1 = Int(tokenOffsets[n]), k0 = Int(tagOffsets[0]), k1 = Int(tagOffsets[n])
        let embedDim = s.header.metadata.embedDim
        return ShardColumnBlock(
            start: start, count: n, embedDim: embedDim,
            labels: try readArray(
                s.handle("labels"), spec("labels"), start: start, count: n, as: Int32.self,
                subject: "dataset `labels`"),
            statuses: try readArray(
                s.handle("status"), spec("status"), start: start, count: n, as: UInt8.self,
                subject: "dataset `status`"),
            tokenOffsets: tokenOffsets, tagOffsets: tagOffsets,
            tagProbs: try readArray(
                s.handle("tag_probs"), spec("tag_probs"), start: k0, count: k1 - k0, as: Float.self,
                subject: "dataset `tag_probs`"),
            tokens: try readStoredRows(s, "tokens", width: embedDim, start: t0, count: t1 - t0),
            globalEmbeds: try readStoredRows(s, "global_embed", width: embedDim, start: start, count: n))
    }

    /// Float16 or float32 rows `start ..< start + count` as they are stored: in place in the file image
    /// when its chunks can be found there, else read by HDF5 into a buffer.
    private func readStoredRows(
        _ s: Structure, _ name: String, width: Int, start: Int, count: Int
    ) throws(ShardError) -> ShardColumnBlock.Rows {
        let entry = s.datasets.first { $0.spec.name == name }!
        let isFloat16 = entry.spec.element == .float16
        if let image, let map = chunksInImage(s, name), count > 0 {
            let first = start / map.chunkRows, last = (start + count - 1) / map.chunkRows
            let base = UnsafeRawPointer(image.bytes.baseAddress!)
            return ShardColumnBlock.Rows(
                isFloat16: isFloat16, width: width, origin: first * map.chunkRows, pieceRows: map.chunkRows,
                pieces: map.offsets[first...last].map { base + $0 }, owner: image)
        }
        let buffer = ShardColumnBlock.RowBuffer(bytes: count * width * entry.spec.element.size)
        guard let type = HDF5.makeType(entry.spec.element),
            HDF5.readRows(
                dataset: entry.handle.id, type: type.id, rank: entry.spec.rank, width: width, start: start,
                rows: count, into: buffer.base)
        else {
            throw ShardError.hdf5(
                .read, path: path, part: "dataset `\(name)`", "cannot read rows \(start)..<\(start + count)")
        }
        return ShardColumnBlock.Rows(
            isFloat16: isFloat16, width: width, origin: start, pieceRows: max(count, 1),
            pieces: [UnsafeRawPointer(buffer.base)], owner: buffer)
    }

    /// Where the chunks of dataset `name` lie in the file image, when it is unfiltered, every chunk of its
    /// rows lies whole inside the image (which ``ShardSeal`` checked byte for byte), and its first and last
    /// chunks hold there the bytes HDF5 reads for them; else nil. The check settles whether HDF5 counted
    /// the chunk addresses from the start of the file or from the end of the user block (its versions
    /// differ).
    func chunksInImage(_ s: Structure, _ name: String) -> Structure.ChunkMap? {
        if let known = s.chunkMaps[name] { return known }
        var map: Structure.ChunkMap?
        let entry = s.datasets.first { $0.spec.name == name }!
        let rows: Int
        switch entry.spec.rows {
        case .images: rows = s.images
        case .imagesPlusOne: rows = s.images + 1
        case .tokens: rows = s.tokens
        case .tags: rows = s.tags
        }
        let rowBytes = entry.width * entry.spec.element.size
        if let image, rows > 0, let found = HDF5.chunkOffsets(of: entry.handle.id, rows: rows, rowBytes: rowBytes),
            let userBlock = HDF5.userBlockBytes(of: file.id), let type = HDF5.makeType(entry.spec.element)
        {
            let chunkBytes = found.chunkRows * rowBytes
            let lastChunk = found.offsets.count - 1
            let lastRows = rows - lastChunk * found.chunkRows
            let expected = UnsafeMutableRawPointer.allocate(byteCount: chunkBytes, alignment: 64)
            defer { expected.deallocate() }
            /// Whether chunk c's first `n` rows lie at `offset` in the image.
            func holds(_ c: Int, rows n: Int, at offset: Int) -> Bool {
                HDF5.readRows(
                    dataset: entry.handle.id, type: type.id, rank: entry.spec.rank, width: entry.width,
                    start: c * found.chunkRows, rows: n, into: expected)
                    && memcmp(expected, image.bytes.baseAddress! + offset, n * rowBytes) == 0
            }
            for base in Set([userBlock, 0]).sorted(by: >) {
                let offsets = found.offsets.map { $0 + base }
                guard offsets.allSatisfy({ $0 >= 0 && $0 + chunkBytes <= image.bytes.count }),
                    holds(0, rows: min(rows, found.chunkRows), at: offsets[0]),
                    holds(lastChunk, rows: lastRows, at: offsets[lastChunk])
                else { continue }
                map = Structure.ChunkMap(chunkRows: found.chunkRows, offsets: offsets)
                break
            }
        }
        s.chunkMaps[name] = .some(map)
        return map
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
        let block = try reader.readColumnBlock(
            structure, from: nextImage, maxImages: maxBlockImages, maxTokens: maxBlockTokens)
        nextImage += block.count
        return block
    }
}
