import Foundation
import Job
import Reduce
import TagoodSupport
import TagoodTestSupport
import Testing

/// `tagood reduce --verify` verifies every shard the reduce uses, even one whose partial is cached.
@Suite struct VerifyTests {
    /// Flips one byte of `path` at `offset` (from the end when negative).
    static func flipByte(_ path: String, at offset: Int) throws {
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        let size = Int(try handle.seekToEnd())
        let at = UInt64(offset >= 0 ? offset : size + offset)
        try handle.seek(toOffset: at)
        let byte = try #require(try handle.read(upToCount: 1)).first!
        try handle.seek(toOffset: at)
        try handle.write(contentsOf: Data([byte ^ 0xFF]))
    }

    @Test func verifyFailsOnADamagedShardWhosePartialIsCached() throws {
        let (tmp, job) = try JobBuilder.randomJob(seed: 13)
        defer { _ = tmp }
        let first = try TagoodProcess.run(["reduce", job, "--knn-k", "5", "--quiet"])
        #expect(first.status == 0, "\(first.stdout)\n\(first.stderr)")
        let shard = JobDirectory(job).shardFile(ShardID(dataset: "ood-a", index: 1))
        #expect(FileManager.default.fileExists(atPath: shard))
        // A byte of the data, past the 512-byte seal block.
        let size = try #require(FileSystem.size(shard))
        try Self.flipByte(shard, at: 512 + (size - 512) / 2)

        // The partial is cached: only --verify reads the shard.
        let verified = try TagoodProcess.run(["reduce", job, "--knn-k", "5", "--verify", "--quiet"])
        #expect(verified.status != 0, "\(verified.stdout)\n\(verified.stderr)")
        #expect(verified.stderr.contains(shard), "\(verified.stderr)")

        let error = #expect(throws: ReduceError.self) {
            try Reducer.run(directory: JobDirectory(job), options: ReduceOptions(threads: 2, knnK: 5, verify: true))
        }
        #expect(error?.code == "reduce.shard")
        #expect(error?.description.contains(shard) == true)
    }
}
