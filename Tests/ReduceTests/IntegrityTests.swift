import Foundation
import Job
import Reduce
import TagoodSupport
import TagoodTestSupport
import Testing

/// Files derived from shards carry a checksum (issue 25, item 2): a damaged partial is rebuilt from its
/// shard, a damaged `reduce/centers.bin` is refused, and files of the format before the checksum still read.
@Suite struct IntegrityTests {
    static func reduce(_ job: String, _ extra: [String] = []) throws -> TagoodProcess.Result {
        try TagoodProcess.run(["reduce", job, "--knn-k", "5", "--threads", "2"] + extra)
    }

    /// The files in `reduce/` (centers, scores, summary) by name.
    static func outputs(_ job: String) throws -> [String: Data] {
        var out: [String: Data] = [:]
        for name in FileSystem.list(job + "/reduce") where name.contains(".") && !name.contains(".tmp-") {
            out[name] = try Data(contentsOf: URL(fileURLWithPath: job + "/reduce/" + name))
        }
        return out
    }

    /// The partial files of `dataset`.
    static func partials(_ job: String, _ dataset: String) -> [String] {
        let folder = job + "/reduce/partials/" + dataset
        return FileSystem.list(folder).filter { $0.hasSuffix(".bin") }.sorted().map { folder + "/" + $0 }
    }

    @Test func aDamagedPartialIsRebuiltFromItsShard() throws {
        let (tmp, job) = try JobBuilder.randomJob(seed: 21)
        defer { _ = tmp }
        let first = try Self.reduce(job)
        #expect(first.status == 0, "\(first.stdout)\n\(first.stderr)")
        let expected = try Self.outputs(job)
        for dataset in ["train", "ood-a"] {
            let partial = try #require(Self.partials(job, dataset).first)
            let size = try #require(FileSystem.size(partial))
            try VerifyTests.flipByte(partial, at: size / 2)
            let again = try Self.reduce(job)
            #expect(again.status == 0, "\(again.stdout)\n\(again.stderr)")
            #expect(again.stderr.contains("partial \(partial) is damaged"), "\(again.stderr)")
            #expect(again.stderr.contains("checksum mismatch"), "\(again.stderr)")
            #expect(try Self.outputs(job) == expected, "\(dataset)")
            // Rebuilt: the next reduce reads it as it is.
            let third = try Self.reduce(job)
            #expect(third.status == 0 && !third.stderr.contains("damaged"), "\(third.stderr)")
        }
    }

    @Test func partialsWithoutAChecksumStillReduce() throws {
        let (tmp, job) = try JobBuilder.randomJob(seed: 22)
        defer { _ = tmp }
        let first = try Self.reduce(job)
        #expect(first.status == 0, "\(first.stdout)\n\(first.stderr)")
        let expected = try Self.outputs(job)
        // Every partial as tagood 0.3 wrote it: version 1, no XXH3 at the end.
        var converted: [String: [UInt8]] = [:]
        for dataset in ["train", "val", "ood-a", "ood-b"] {
            for path in Self.partials(job, dataset) {
                var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
                let version = Array("\"version\":2".utf8)
                let at = try #require(bytes.indices.first { bytes[$0...].starts(with: version) })
                bytes[at + version.count - 1] = UInt8(ascii: "1")
                bytes.removeLast(8)
                try Data(bytes).write(to: URL(fileURLWithPath: path))
                converted[path] = bytes
            }
        }
        #expect(converted.count > 4)
        let again = try Self.reduce(job)
        #expect(again.status == 0, "\(again.stdout)\n\(again.stderr)")
        #expect(!again.stderr.contains("damaged"), "\(again.stderr)")
        #expect(try Self.outputs(job) == expected)
        for (path, bytes) in converted {
            #expect([UInt8](try Data(contentsOf: URL(fileURLWithPath: path))) == bytes, "\(path) was not rewritten")
        }
    }

    @Test func aDamagedCentersFileIsRefusedWithItsPath() throws {
        let (tmp, job) = try JobBuilder.randomJob(seed: 23)
        defer { _ = tmp }
        let first = try Self.reduce(job)
        #expect(first.status == 0, "\(first.stdout)\n\(first.stderr)")
        let centers = JobDirectory(job).centersFile
        let size = try #require(FileSystem.size(centers))
        try VerifyTests.flipByte(centers, at: size - 100)
        let other = try Self.reduce(job, ["--centers-from", job])
        #expect(other.status != 0, "\(other.stdout)\n\(other.stderr)")
        #expect(other.stderr.contains(centers), "\(other.stderr)")
        #expect(other.stderr.contains("checksum mismatch"), "\(other.stderr)")
        #expect(other.stderr.contains("re-run `tagood reduce`"), "\(other.stderr)")
    }
}
