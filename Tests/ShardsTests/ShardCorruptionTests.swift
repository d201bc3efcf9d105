import Foundation
import Testing
@testable import Shards
import TagoodSupport

@Suite struct ShardCorruptionTests {
    /// Expects `body` to throw a ShardError with `code` whose description mentions every `fragment`.
    func expectShardError(_ code: String, mentioning fragments: [String], _ body: () throws -> Void,
                          sourceLocation: SourceLocation = #_sourceLocation) {
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
        let marked = ShardRecord(path: "marked.jpg", label: 0, tokens: tokens, tokenIndex: [0, 1, 2],
                                 globalEmbed: [Float](repeating: 1, count: m.embedDim), tagIDs: [7], tagProbs: [0.9],
                                 attention: [Float](repeating: 0.1, count: m.imageTokens))
        let records = [marked] + (1..<20).map { ShardFixtures.record($0) }
        let summary = try ShardFixtures.write(records, to: path, options: .init(tokenDType: .float32))
        let marker = tokens.prefix(6).withUnsafeBytes { Array($0) }
        return (summary, marker)
    }

    @Test func truncatedFileFailsToOpen() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path + "/shard.h5"
        try ShardFixtures.write((0..<50).map { ShardFixtures.record($0) }, to: path)
        let bytes = try ShardFixtures.bytes(path)
        for keep in [bytes.count - 1, bytes.count / 2, 100, 0] {
            try ShardFixtures.writeBytes(Array(bytes.prefix(keep)), path)
            expectShardError("shard.open", mentioning: [path, "tagood resume"]) {
                _ = try ShardReader(path: path).verify()
            }
        }
    }

    @Test func missingFileFailsToOpen() {
        expectShardError("shard.open", mentioning: ["/nonexistent/shard.h5", "does not exist"]) {
            _ = try ShardReader(path: "/nonexistent/shard.h5")
        }
    }

    @Test func flippedTokenByteFailsTheContentChecksum() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path + "/shard.h5"
        let (summary, marker) = try writeMarkedShard(path)
        var bytes = try ShardFixtures.bytes(path)
        let offset = try #require(ShardFixtures.find(marker, in: bytes), "token bytes not found in the file")
        bytes[offset + 5] ^= 0x10
        try ShardFixtures.writeBytes(bytes, path)
        // The file still opens and its structure is fine; only the data changed.
        let reader = try ShardReader(path: path)
        #expect(try reader.header().isComplete)
        expectShardError("shard.checksum", mentioning: [path, "dataset `tokens`", "tagood resume"]) {
            _ = try reader.verify()
        }
        #expect(try ShardFile.checksum(path: path) != summary.fileChecksum)
    }

    @Test func withoutTheContentPassTheFileChecksumStillCatchesAFlippedByte() throws {
        // The coordinator's acceptance check: structure + the worker's file checksum, no content pass.
        let dir = try TemporaryDirectory()
        let path = dir.path + "/shard.h5"
        let (summary, marker) = try writeMarkedShard(path)
        let intact = try ShardReader(path: path)
        _ = try intact.verify(expectedFileChecksum: summary.fileChecksum, content: false)
        intact.close()
        var bytes = try ShardFixtures.bytes(path)
        let offset = try #require(ShardFixtures.find(marker, in: bytes))
        bytes[offset + 5] ^= 0x10
        try ShardFixtures.writeBytes(bytes, path)
        let reader = try ShardReader(path: path)
        expectShardError("shard.file-checksum", mentioning: [path]) {
            _ = try reader.verify(expectedFileChecksum: summary.fileChecksum, content: false)
        }
    }

    @Test func flippedByteAnywhereChangesTheFileChecksum() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path + "/shard.h5"
        let summary = try ShardFixtures.write((0..<30).map { ShardFixtures.record($0) }, to: path)
        let original = try ShardFixtures.bytes(path)
        let copy = dir.path + "/copy.h5"
        for offset in stride(from: 0, to: original.count, by: max(1, original.count / 40)) + [original.count - 1] {
            var bytes = original
            bytes[offset] ^= 0x01
            try ShardFixtures.writeBytes(bytes, copy)
            #expect(try ShardFile.checksum(path: copy) != summary.fileChecksum, "offset \(offset)")
        }
    }

    @Test func fileChecksumMismatchIsReported() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path + "/shard.h5"
        let summary = try ShardFixtures.write((0..<10).map { ShardFixtures.record($0) }, to: path)
        // A byte appended after HDF5's end of file leaves the data intact but changes the file.
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data([0x42]))
        try handle.close()
        let reader = try ShardReader(path: path)
        #expect(try reader.verify().images == 10)
        expectShardError("shard.file-checksum", mentioning: [path, summary.fileChecksum, "journal"]) {
            _ = try reader.verify(expectedFileChecksum: summary.fileChecksum)
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
        let reader = try ShardReader(path: copy)
        #expect(try reader.header().isComplete == false)
        expectShardError("shard.incomplete", mentioning: [copy, "attribute `complete`", "tagood resume"]) {
            _ = try reader.verify()
        }
    }

    @Test func notAnHDF5FileFailsToOpen() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path + "/junk.h5"
        try ShardFixtures.writeBytes(Array("this is not HDF5".utf8), path)
        expectShardError("shard.open", mentioning: [path, "HDF5"]) { _ = try ShardReader(path: path) }
    }
}
