import Foundation
import TagoodSupport
import Testing

@testable import Shards

/// The optional `all_tag_probs` dataset: written only with `all_tags` in the metadata, read back, covered by
/// the content checksum, refused when a record's vector has the wrong length, and read by the Python example.
@Suite struct AllTagProbsShardTests {
    static let allTags = 11

    static func metadata() -> ShardMetadata {
        var metadata = ShardFixtures.metadata()
        metadata.allTags = allTags
        return metadata
    }

    /// `ShardFixtures.record(i)` with every tag's probability (none for a failed image).
    static func record(_ i: Int) -> ShardRecord {
        var record = ShardFixtures.record(i)
        if record.status.isOK { record.allTagProbs = (0..<allTags).map { Float(i * allTags + $0) / 1000 } }
        return record
    }

    @Test func roundTripsAndVerifies() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path + "/shard.h5"
        let records = (0..<30).map(Self.record)
        let summary = try ShardFixtures.write(records, to: path, metadata: Self.metadata())
        let reader = try ShardReader(path: path, expectedFileChecksum: summary.fileChecksum)
        #expect(try reader.header().metadata.allTags == Self.allTags)
        _ = try reader.verify(content: true)
        var images: [ShardImage] = []
        try reader.forEach { images.append($0) }
        #expect(images.count == records.count)
        for (image, record) in zip(images, records) {
            #expect(
                image.allTagProbs
                    == (record.status.isOK ? record.allTagProbs : [Float](repeating: 0, count: Self.allTags)))
        }
        // A shard without the option has neither the attribute nor the dataset.
        let plain = dir.path + "/plain.h5"
        try ShardFixtures.write((0..<5).map { ShardFixtures.record($0) }, to: plain)
        let plainReader = try ShardReader(path: plain)
        #expect(try plainReader.header().metadata.allTags == nil)
        try plainReader.forEach { #expect($0.allTagProbs.isEmpty) }
    }

    @Test func aVectorOfTheWrongLengthIsRefused() throws {
        let dir = try TemporaryDirectory()
        let writer = try ShardWriter(path: dir.path + "/shard.h5", metadata: Self.metadata())
        var short = Self.record(0)
        short.allTagProbs.removeLast()
        #expect { try writer.append(short) } throws: {
            ($0 as? ShardError)?.detail.contains("expected all_tags 11") == true
        }
        let plain = try ShardWriter(path: dir.path + "/plain.h5", metadata: ShardFixtures.metadata())
        #expect { try plain.append(Self.record(0)) } throws: {
            ($0 as? ShardError)?.detail.contains("stores none") == true
        }
    }

    @Test(.enabled(if: ShardInteropTests.pythonWithH5py, "python3 with h5py is not importable here"))
    func thePythonExampleReadsAndChecksIt() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path + "/shard.h5"
        let summary = try ShardFixtures.write((0..<12).map(Self.record), to: path, metadata: Self.metadata())
        let script = ShardFixtures.repositoryRoot + "/examples/read_shard.py"
        let result = try ShardFixtures.run("/usr/bin/env", ["python3", script, path, "--images", "3"])
        #expect(result.status == 0, "\(result.output)")
        if (try? ShardFixtures.run("/usr/bin/env", ["python3", "-c", "import xxhash"]).status) == 0 {
            #expect(result.output.contains("content checksum ok: \(summary.contentChecksum)"), "\(result.output)")
        }
    }
}
