import Foundation
import TagoodSupport
import Testing

@testable import Shards

@Suite struct ShardRoundTripTests {
    static let configurations: [(TokenDType, ShardCompression)] = [
        (.float16, .none), (.float32, .none), (.float16, .gzip(level: 4)), (.float32, .gzip(level: 1))
    ]

    @Test(arguments: configurations)
    func roundTripsEveryValue(dtype: TokenDType, compression: ShardCompression) throws {
        let dir = try TemporaryDirectory()
        let path = dir.path + "/shard-00042.h5"
        let records = (0..<300).map { ShardFixtures.record($0) }
        // A tiny buffer and chunk size force many flushes and chunk boundaries.
        let options = ShardWriter.Options(
            tokenDType: dtype, compression: compression, bufferBytes: 4096, chunkBytes: 1024)
        let summary = try ShardFixtures.write(records, to: path, options: options)

        let failed = records.filter { !$0.status.isOK }.count
        #expect(summary.images == 300)
        #expect(summary.failedImages == failed)
        #expect(summary.tokens == records.reduce(0) { $0 + $1.tokenCount })
        #expect(summary.fileChecksum == (try ShardFile.checksum(path: path)))
        #expect(summary.fileBytes == (try ShardFile.size(path: path)))

        let reader = try ShardReader(path: path, expectedFileChecksum: summary.fileChecksum)
        let verification = try reader.verify()
        #expect(verification.images == 300)
        #expect(verification.okImages == 300 - failed)
        #expect(verification.failedImages == failed)
        #expect(verification.statusCounts[.decodeFailed] == failed)
        #expect(verification.tokens == summary.tokens)
        #expect(verification.tags == summary.tags)
        #expect(verification.contentChecksum == summary.contentChecksum)
        #expect(verification.fileChecksum == summary.fileChecksum)
        #expect(verification.tokensPerImage.min == 0 && verification.tokensPerImage.max == 4)
        #expect(verification.header.metadata == ShardFixtures.metadata())
        #expect(verification.header.tokenDType == dtype)
        #expect(verification.header.isComplete)

        // Small blocks exercise the cursor's block cutting.
        let cursor = try reader.images(blockImages: 7, maxBlockTokens: 10)
        var seen = 0
        while let image = try cursor.next() {
            let r = records[image.index]
            #expect(image.index == seen)
            #expect(image.path == r.path)
            #expect(image.label == r.label)
            #expect(image.status == r.status)
            #expect(image.error == r.error)
            #expect(image.tokens == r.tokens.map { ShardFixtures.stored($0, dtype) })
            #expect(image.tokenIndex == r.tokenIndex)
            #expect(image.tagIDs == r.tagIDs)
            #expect(image.tagProbs == r.tagProbs)
            if r.status.isOK {
                #expect(image.globalEmbed == r.globalEmbed.map { ShardFixtures.stored($0, dtype) })
                #expect(image.attention == r.attention.map { ShardFixtures.stored($0, .float16) })
            } else {
                #expect(image.globalEmbed == [Float](repeating: 0, count: ShardFixtures.embedDim))
                #expect(image.attention == [Float](repeating: 0, count: ShardFixtures.imageTokens))
            }
            if image.tokenCount > 0 { #expect(image.token(image.tokenCount - 1).count == ShardFixtures.embedDim) }
            seen += 1
        }
        #expect(seen == 300)
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path)
        #expect(files == ["shard-00042.h5"])
    }

    @Test func contentChecksumDoesNotDependOnLayout() throws {
        let dir = try TemporaryDirectory()
        let records = (0..<50).map { ShardFixtures.record($0) }
        let a = try ShardFixtures.write(records, to: dir.path + "/a.h5", options: .init(compression: .none))
        let b = try ShardFixtures.write(
            records, to: dir.path + "/b.h5",
            options: .init(compression: .gzip(level: 6), bufferBytes: 100, chunkBytes: 256))
        #expect(a.contentChecksum == b.contentChecksum)
        #expect(a.fileChecksum != b.fileChecksum)
    }

    @Test func emptyShardIsValid() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path + "/empty.h5"
        let summary = try ShardFixtures.write([], to: path)
        #expect(summary.images == 0 && summary.tokens == 0)
        let reader = try ShardReader(path: path, expectedFileChecksum: summary.fileChecksum)
        let verification = try reader.verify()
        #expect(verification.images == 0 && verification.tokens == 0 && verification.tags == 0)
        #expect(verification.tokensPerImage == .init(min: 0, mean: 0, max: 0))
        var count = 0
        try reader.forEach { _ in count += 1 }
        #expect(count == 0)
    }

    @Test func imageWithZeroTokensRoundTrips() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path + "/zero.h5"
        let m = ShardFixtures.metadata()
        let record = ShardRecord(
            path: "a/none.jpg", label: 3, tokens: [], tokenIndex: [],
            globalEmbed: [Float](repeating: 0.25, count: m.embedDim), tagIDs: [], tagProbs: [],
            attention: [Float](repeating: 0.5, count: m.imageTokens))
        try ShardFixtures.write([record, ShardFixtures.record(1), record], to: path)
        let reader = try ShardReader(path: path)
        let verification = try reader.verify()
        #expect(verification.okImages == 3 && verification.tokens == 1)
        #expect(verification.tokensPerImage.min == 0 && verification.tokensPerImage.max == 1)
        var images: [ShardImage] = []
        try reader.forEach { images.append($0) }
        #expect(images.map(\.tokenCount) == [0, 1, 0])
        #expect(images[2].globalEmbed == record.globalEmbed && images[2].attention == record.attention)
    }

    @Test func failedImagesKeepTheirErrors() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path + "/failed.h5"
        let records: [ShardRecord] = [
            .failed(path: "a/missing.jpg", label: 1, status: .unreadable, error: "No such file or directory"),
            ShardFixtures.record(4),
            .failed(path: "b/bad.png", label: 2, status: .decodeFailed, error: "PNG: CRC error\u{0}after NUL"),
            .failed(path: "c/odd.jpg", label: 3, status: ImageStatus(rawValue: 9), error: "future failure kind")
        ]
        try ShardFixtures.write(records, to: path)
        let reader = try ShardReader(path: path)
        let verification = try reader.verify()
        #expect(verification.okImages == 1 && verification.failedImages == 3)
        #expect(verification.statusCounts == [.ok: 1, .unreadable: 1, .decodeFailed: 1, ImageStatus(rawValue: 9): 1])
        var images: [ShardImage] = []
        try reader.forEach { images.append($0) }
        #expect(images.map(\.status) == [.unreadable, .ok, .decodeFailed, ImageStatus(rawValue: 9)])
        #expect(images[0].error == "No such file or directory")
        #expect(images[1].error == "")
        #expect(images[2].error == "PNG: CRC error\u{FFFD}after NUL")
        #expect(images[3].status.description == "status-9")
        #expect(images[0].tokens.isEmpty && images[0].tagIDs.isEmpty)
    }

    @Test func oodShardStoresMinusOneLabels() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path + "/ood.h5"
        let meta = ShardFixtures.metadata(role: .ood)
        try ShardFixtures.write((0..<10).map { ShardFixtures.record($0, label: -1) }, to: path, metadata: meta)
        let reader = try ShardReader(path: path)
        #expect(try reader.verify().header.metadata.role == .ood)
        try reader.forEach { #expect($0.label == -1) }
    }

    @Test func pathsThatAreNotUTF8AreStoredAsTheirBytesOnDisk() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path + "/latin1.h5"
        // Mixed: Latin-1, UTF-8, junk.
        let raw: [UInt8] = Array("caf".utf8) + [0xE9] + Array("/r\u{e9}sum\u{e9}.jpg".utf8) + [0xFF]
        let name = FileName.decode(raw)
        var records = (0..<4).map { ShardFixtures.record($0) }
        records[1].path = name
        let summary = try ShardFixtures.write(records, to: path)
        let reader = try ShardReader(path: path, expectedFileChecksum: summary.fileChecksum)
        #expect(try reader.verify().images == 4)
        var paths: [String] = []
        try reader.forEach { paths.append($0.path) }
        #expect(paths == records.map(\.path), "the escaped name reads back as the same String")
        // h5py's `dset[i]` and h5dump see the original bytes (`os.fsdecode` of them is os.walk's name),
        // not tagood's escape code points.
        let file = try FileBytes.read(path)
        #expect(ShardFixtures.find(raw + [0], in: file) != nil)
        #expect(ShardFixtures.find(Array(name.utf8), in: file) == nil)
    }

    @Test func realisticWidthsRoundTrip() throws {
        // RAM's real shape: 512-wide tokens, 145 image tokens, float16.
        let dir = try TemporaryDirectory()
        let path = dir.path + "/ram.h5"
        let meta = ShardFixtures.metadata(embedDim: 512, imageTokens: 145)
        let records = (0..<40).map { ShardFixtures.record($0, embedDim: 512, imageTokens: 145) }
        let summary = try ShardFixtures.write(records, to: path, metadata: meta)
        let reader = try ShardReader(path: path, expectedFileChecksum: summary.fileChecksum)
        #expect(try reader.verify().tokens == summary.tokens)
        try reader.forEach { image in
            #expect(image.tokens == records[image.index].tokens.map { ShardFixtures.stored($0, .float16) })
        }
    }
}
