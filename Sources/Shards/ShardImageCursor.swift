/// Streams a shard's images in order, reading a block of images (and only their tokens) at a time.
///
/// Get one from ``ShardReader/images(blockImages:maxBlockTokens:)``; call ``next()`` until it returns
/// nil. Memory is bounded by the block: at most `blockImages` images and, unless one image alone has
/// more, `maxBlockTokens` token rows.
public final class ShardImageCursor {
    private let reader: ShardReader
    private let structure: ShardReader.Structure
    private let blockImages: Int
    private let maxBlockTokens: Int
    private var nextImage = 0
    private var block: [ShardImage] = []
    private var position = 0

    init(reader: ShardReader, structure: ShardReader.Structure, blockImages: Int, maxBlockTokens: Int) {
        self.reader = reader
        self.structure = structure
        self.blockImages = max(1, blockImages)
        self.maxBlockTokens = max(1, maxBlockTokens)
    }

    /// Images in the shard (N).
    public var count: Int { structure.images }

    /// The next image, or nil after the last one.
    public func next() throws(ShardError) -> ShardImage? {
        if position == block.count {
            guard nextImage < structure.images else { return nil }
            block = try reader.readBlock(structure, from: nextImage, maxImages: blockImages, maxTokens: maxBlockTokens)
            position = 0
            nextImage += block.count
        }
        defer { position += 1 }
        return block[position]
    }
}
