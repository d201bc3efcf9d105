import Foundation
import TagoodSupport
import Testing

@testable import Shards

@Suite struct ShardCorruptionTests {
    /// Expects `body` to throw a ShardError with `code` whose description mentions every `fragment`.
    func expectShardError(
        _ code: String, mentioning fragments: [String], _ body: () throws -> Void,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        do {
            try body()
            Issue.record("expected \(code), but nothing was thrown", sourceLocation: sourceLocation)
        } catch let error as ShardError {
            #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
            for fragment in fragments {
                #expect(error.description.contains(fragment), "\(error)", sourceLocation: sourceLocation)
            }
        } catch {
            Issue.record("expected a ShardError, got \(error)", sourceLocation: sourceLocation)
        }
    }

    /// A shard with a recognisable token pattern in image 0 (float32 so the bytes are easy to find).
    func writeMarkedShard(_ path: String) throws -> (summary: ShardWriteSummary, marker: [UInt8]) {
        let m = ShardFixtures.metadata()
        let tokens = (0..<(3 * m.embedDim)).map { Float(1000 + $0) + 0.125 }
        let marked = ShardRecord(
            path: "marked.jpg", label: 0, tokens: tokens, tokenIndex: [0, 1, 2],
            globalEmbed: [Float](repeating: 1, count: m.embedDim), tagIDs: [7], tagProbs: [0.9],
            attention: [Float](repeating: 0.1, count: m.imageTokens))
        let records = [marked] + (1..<20).map { ShardFixtures.record($0) }
        let summary = try ShardFixtures.write(records, to: path, options: .init(tokenDType: .float32))
        let marker = tokens.prefix(6).withUnsafeBytes { Array($0) }
        return (summary, marker)
    }

    @Test func truncatedFileFailsItsSealBeforeHDF5Opens() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path + "/shard.h5"
        try ShardFixtures.write((0..<50).map { ShardFixtures.record($0) }, to: path)
        let bytes = try ShardFixtures.bytes(path)
        for keep in [bytes.count - 1, bytes.count / 2, 600, 100] {
            try ShardFixtures.writeBytes(Array(bytes.prefix(keep)), path)
            expectShardError("shard.seal", mentioning: [path, "truncated", "tagood resume"]) {
                _ = try ShardReader(path: path)
            }
        }
        try ShardFixtures.writeBytes([], path)
        expectShardError("shard.open", mentioning: [path, "empty"]) { _ = try ShardReader(path: path) }
    }

    @Test func missingFileFailsToOpen() {
        expectShardError("shard.open", mentioning: ["/nonexistent/shard.h5", "does not exist"]) {
            _ = try ShardReader(path: "/nonexistent/shard.h5")
        }
    }

    @Test func flippedTokenByteFailsTheSealBeforeHDF5Opens() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path + "/shard.h5"
        let (_, marker) = try writeMarkedShard(path)
        var bytes = try ShardFixtures.bytes(path)
        let offset = try #require(ShardFixtures.find(marker, in: bytes), "token bytes not found in the file")
        bytes[offset + 5] ^= 0x10
        try ShardFixtures.writeBytes(bytes, path)
        expectShardError("shard.seal", mentioning: [path, "file bytes", "changed or damaged", "tagood resume"]) {
            _ = try ShardReader(path: path)
        }
    }

    @Test func aResealedFileWithAFlippedTokenByteFailsTheContentChecksum() throws {
        // Defence in depth: bytes changed and then sealed again (a writer bug, or a hand edit) still
        // fail, and the error names the dataset.
        let dir = try TemporaryDirectory()
        let path = dir.path + "/shard.h5"
        let (summary, marker) = try writeMarkedShard(path)
        var bytes = try ShardFixtures.bytes(path)
        let offset = try #require(ShardFixtures.find(marker, in: bytes), "token bytes not found in the file")
        bytes[offset + 5] ^= 0x10
        try ShardFixtures.writeBytes(bytes, path)
        try ShardSeal.seal(path: path, reportAs: path)
        // The file opens and its structure is fine; only the data changed.
        let reader = try ShardReader(path: path)
        #expect(try reader.header().isComplete)
        expectShardError("shard.checksum", mentioning: [path, "dataset `tokens`", "tagood resume"]) {
            _ = try reader.verify()
        }
        #expect(reader.integrity.fileChecksum != summary.fileChecksum)
    }

    @Test func withoutTheContentPassTheFileChecksumStillCatchesAResealedFlippedByte() throws {
        // The coordinator's acceptance check: the worker's file checksum and the structure, no content pass.
        let dir = try TemporaryDirectory()
        let path = dir.path + "/shard.h5"
        let (summary, marker) = try writeMarkedShard(path)
        let intact = try ShardReader(path: path, expectedFileChecksum: summary.fileChecksum)
        _ = try intact.verify(content: false)
        intact.close()
        var bytes = try ShardFixtures.bytes(path)
        let offset = try #require(ShardFixtures.find(marker, in: bytes))
        bytes[offset + 5] ^= 0x10
        try ShardFixtures.writeBytes(bytes, path)
        try ShardSeal.seal(path: path, reportAs: path)
        expectShardError("shard.file-checksum", mentioning: [path, summary.fileChecksum, "journal"]) {
            _ = try ShardReader(path: path, expectedFileChecksum: summary.fileChecksum)
        }
    }

    @Test func aFlippedByteAnywhereIsCaughtBeforeHDF5Opens() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path + "/shard.h5"
        let summary = try ShardFixtures.write((0..<30).map { ShardFixtures.record($0) }, to: path)
        let original = try ShardFixtures.bytes(path)
        let copy = dir.path + "/copy.h5"
        let offsets =
            Array(stride(from: 0, to: original.count, by: max(1, original.count / 60))) + [
                5, 100, 511, 512, 513, original.count - 1
            ]
        for offset in offsets {
            var bytes = original
            bytes[offset] ^= 0x01
            try ShardFixtures.writeBytes(bytes, copy)
            // The checksum covers the bytes after the seal; a changed seal block is refused by its parser.
            if offset >= ShardSeal.size {
                #expect(try ShardFile.checksum(path: copy) != summary.fileChecksum, "offset \(offset)")
            }
            expectShardError("shard.seal", mentioning: [copy]) { _ = try ShardReader(path: copy) }
        }
    }

    @Test func bytesAppendedAfterTheSealedFileAreCaught() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path + "/shard.h5"
        try ShardFixtures.write((0..<10).map { ShardFixtures.record($0) }, to: path)
        // A byte appended after HDF5's end of file leaves the data intact but changes the file.
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data([0x42]))
        try handle.close()
        expectShardError("shard.seal", mentioning: [path, "appended"]) { _ = try ShardReader(path: path) }
    }

    @Test func anotherValidShardUnderAJournaledNameFailsTheFileChecksum() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path + "/shard.h5", other = dir.path + "/other.h5"
        let summary = try ShardFixtures.write((0..<10).map { ShardFixtures.record($0) }, to: path)
        try ShardFixtures.write((0..<11).map { ShardFixtures.record($0) }, to: other)
        #expect(try ShardReader(path: other).verify().images == 11, "the other shard is valid on its own")
        expectShardError("shard.file-checksum", mentioning: [other, summary.fileChecksum, "journal"]) {
            _ = try ShardReader(path: other, expectedFileChecksum: summary.fileChecksum)
        }
    }

    @Test func uncommittedShardIsIncomplete() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path + "/shard.h5"
        let writer = try ShardWriter(path: path, metadata: ShardFixtures.metadata())
        for i in 0..<10 { try writer.append(ShardFixtures.record(i)) }
        try writer.flushToDisk()
        let copy = dir.path + "/killed.h5"
        try FileManager.default.copyItem(atPath: writer.temporaryPath, toPath: copy)
        writer.abandon()
        expectShardError("shard.incomplete", mentioning: [copy, "never sealed", "tagood resume"]) {
            _ = try ShardReader(path: copy)
        }
        // Opened anyway (inspecting a killed writer's file by hand), it still says why it is unusable.
        let reader = try ShardReader(path: copy, allowUnsealed: true)
        #expect(try reader.header().isComplete == false)
        expectShardError("shard.incomplete", mentioning: [copy, "attribute `complete`", "tagood resume"]) {
            _ = try reader.verify()
        }
    }

    @Test func notAnHDF5FileFailsToOpen() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path + "/junk.h5"
        try ShardFixtures.writeBytes(Array("this is not HDF5".utf8), path)
        expectShardError("shard.open", mentioning: [path, "not a shard", "HDF5"]) { _ = try ShardReader(path: path) }
        expectShardError("shard.open", mentioning: [path, "HDF5 cannot open it"]) {
            _ = try ShardReader(path: path, allowUnsealed: true)
        }
    }
}
