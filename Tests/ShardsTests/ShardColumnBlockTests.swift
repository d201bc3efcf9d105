import Foundation
import TagoodSupport
import Testing

@testable import Shards

/// The reducer's column blocks give every image's values exactly as the per-image reader does: read in
/// place from the checked file image, chunk by chunk (images straddling chunk boundaries included), and
/// read by HDF5 into a buffer (compressed datasets, or a file too large to hold in memory).
@Suite struct ShardColumnBlockTests {
    static let configurations: [(TokenDType, ShardCompression, Int)] = [
        (.float16, .none, ShardReader.imageLimit), (.float32, .none, ShardReader.imageLimit),
        (.float16, .gzip(level: 4), ShardReader.imageLimit), (.float16, .none, 0)
    ]

    @Test(arguments: configurations)
    func blocksHoldWhatTheImagesHold(dtype: TokenDType, compression: ShardCompression, imageLimit: Int) throws {
        let dir = try TemporaryDirectory()
        let path = dir.path + "/shard-00007.h5"
        let records = (0..<300).map { ShardFixtures.record($0) }
        // 3-row chunks of `tokens` (8 values of 2 or 4 bytes, 48 or 96 bytes a chunk): most images cross one.
        let options = ShardWriter.Options(
            tokenDType: dtype, compression: compression, bufferBytes: 4096, chunkBytes: 3 * 8 * dtype.byteSize)
        try ShardFixtures.write(records, to: path, options: options)

        let reader = try ShardReader(path: path, imageLimit: imageLimit)
        let structure = try reader.openStructure(header: try reader.header())
        let inPlace = compression == .none && imageLimit > 0
        #expect((reader.chunksInImage(structure, "tokens") != nil) == inPlace)
        #expect((reader.chunksInImage(structure, "global_embed") != nil) == inPlace)

        let d = ShardFixtures.embedDim
        let blocks = try reader.columnBlocks(maxBlockImages: 23, maxBlockTokens: 40)
        let images = try reader.images(blockImages: 50, maxBlockTokens: 1000)
        var seen = 0
        while let block = try blocks.next() {
            for i in 0..<block.count {
                let image = try #require(try images.next())
                #expect(block.start + i == image.index)
                #expect(block.labels[i] == image.label && block.status(i) == image.status)
                #expect(Array(block.tagProbs(of: i)) == image.tagProbs)
                var sum = [Double](repeating: 0, count: d)
                block.addTokenRows(of: i, into: &sum)
                var want = [Double](repeating: 0, count: d)
                for row in 0..<image.tokenCount { for j in 0..<d { want[j] += Double(image.tokens[row * d + j]) } }
                #expect(sum == want, "image \(image.index): token sums")
                var global = [Double](repeating: .nan, count: d)
                block.globalEmbed(of: i, into: &global)
                #expect(global == image.globalEmbed.map(Double.init), "image \(image.index): global_embed")
                seen += 1
            }
        }
        #expect(seen == 300)
    }
}
