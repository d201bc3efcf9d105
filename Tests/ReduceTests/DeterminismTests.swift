import Foundation
import Job
import Reduce
import Shards
import TagoodSupport
import TagoodTestSupport
import Testing

/// Streaming, parallel and resumed reduces give byte-identical outputs.
@Suite struct DeterminismTests {
    /// Reduces and reports; returns every output file.
    static func reduceAndReport(_ job: String, threads: Int) throws -> [String: [UInt8]] {
        _ = try Reducer.run(directory: JobDirectory(job), options: ReduceOptions(threads: threads, knnK: 5))
        try ReportBuilder(directory: JobDirectory(job)).write(to: JobDirectory(job))
        return try JobBuilder.outputs(job)
    }

    @Test func parallelRunsAreBitIdenticalToOneThread() throws {
        let (tmpA, jobA) = try JobBuilder.randomJob(seed: 7)
        let (tmpB, jobB) = try JobBuilder.randomJob(seed: 7)
        defer { _ = (tmpA, tmpB) }
        let one = try Self.reduceAndReport(jobA, threads: 1)
        let many = try Self.reduceAndReport(jobB, threads: 4)
        #expect(Set(one.keys) == Set(many.keys))
        #expect(one.keys.contains("reduce/centers.bin") && one.keys.contains("report/report.html"))
        for (name, bytes) in one where name.hasPrefix("reduce/scores-") {
            #expect(many[name] == bytes, "\(name) differs between 1 and 4 threads")
        }
        // centers.bin names its job's partials: compare its arrays.
        let a = try ArrayFile.decode(one["reduce/centers.bin"]!, path: "a"),
            b = try ArrayFile.decode(many["reduce/centers.bin"]!, path: "b")
        #expect(a.entries.map(\.name) == b.entries.map(\.name))
        for entry in a.entries {
            #expect(
                a.floats(entry.name) == b.floats(entry.name)
                    && a.doubles(entry.name)?.map(\.bitPattern) == b.doubles(entry.name)?.map(\.bitPattern)
                    && a.int64s(entry.name) == b.int64s(entry.name), "centers.bin \(entry.name) differs")
        }
        // Outputs that name the job directory differ only by it.
        for name in ["reduce/summary.json", "report/report.json", "report/report.md", "report/report.html"] {
            let a = Self.anonymised(one[name]!, jobA), b = Self.anonymised(many[name]!, jobB)
            #expect(a == b, "\(name) differs between 1 and 4 threads")

        }
    }

    static func anonymised(_ bytes: [UInt8], _ job: String) -> String {
        String(decoding: bytes, as: UTF8.self).replacingOccurrences(of: job, with: "JOB")
            .replacingOccurrences(of: job.replacingOccurrences(of: "/", with: "\\/"), with: "JOB")
    }

    @Test func killedReduceRerunGivesTheSameReport() throws {
        let (tmp, job) = try JobBuilder.randomJob(seed: 11)
        defer { _ = tmp }
        let first = try Self.reduceAndReport(job, threads: 3)
        // What a kill can leave: some partials done, others missing or half-written, no merged outputs.
        let partials = job + "/reduce/partials/train"
        let names = try FileManager.default.contentsOfDirectory(atPath: partials).sorted()
        for name in names.enumerated().filter({ $0.offset % 2 == 0 }).map(\.element) {
            try FileManager.default.removeItem(atPath: partials + "/" + name)
        }
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: partials + "/" + names[0] + ".tmp-999-1"))
        for name in ["reduce/centers.bin", "reduce/summary.json", "reduce/scores-ood-a.json", "report/report.json"] {
            try FileManager.default.removeItem(atPath: job + "/" + name)
        }
        let outcome = try Reducer.run(directory: JobDirectory(job), options: ReduceOptions(threads: 2, knnK: 5))
        #expect(outcome.builtPartials == (names.count + 1) / 2)
        try ReportBuilder(directory: JobDirectory(job)).write(to: JobDirectory(job))
        let second = try JobBuilder.outputs(job)
        #expect(second == first)
        #expect(!FileManager.default.fileExists(atPath: partials + "/" + names[0] + ".tmp-999-1"))
        // A third run reads no shard at all.
        let third = try Reducer.run(directory: JobDirectory(job), options: ReduceOptions(threads: 2, knnK: 5))
        #expect(third.builtPartials == 0 && third.reusedPartials > 0)
    }

    @Test func onlyAChangedShardIsReadAgain() throws {
        let (tmp, job) = try JobBuilder.randomJob(seed: 3)
        defer { _ = tmp }
        _ = try Reducer.run(directory: JobDirectory(job), options: ReduceOptions(threads: 2, knnK: 5))
        // Redo shard ood-a/0 with other content, as `resume` would after finding it corrupt.
        let (tmp2, other) = try JobBuilder.randomJob(seed: 4)
        defer { _ = tmp2 }
        let shard = "/shards/ood-a/shard-00000.h5"
        try FileManager.default.removeItem(atPath: job + shard)
        try FileManager.default.copyItem(atPath: other + shard, toPath: job + shard)
        let checksum = try ShardFile.checksum(path: job + shard)
        let record =
            "{\"checksum\":\"\(checksum)\",\"event\":\"committed\",\"shard\":{\"dataset\":\"ood-a\",\"index\":0},\"time\":1}\n"
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: job + "/journal.jsonl"))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(record.utf8))
        try handle.close()
        let outcome = try Reducer.run(directory: JobDirectory(job), options: ReduceOptions(threads: 2, knnK: 5))
        #expect(outcome.builtPartials == 1)
        let left = try FileManager.default.contentsOfDirectory(atPath: job + "/reduce/partials/ood-a").filter {
            $0.hasPrefix("shard-00000-")
        }
        #expect(left == ["shard-00000-\(checksum).bin"])
    }

    @Test func centersFromAnotherJobGiveTheSameScores() throws {
        let (tmp, job) = try JobBuilder.randomJob(seed: 5)
        defer { _ = tmp }
        _ = try Reducer.run(directory: JobDirectory(job), options: ReduceOptions(threads: 2, knnK: 5))
        // A second job with the same val and OOD sets but no training data, scored with the first one's centers.
        let (tmp2, copy) = try JobBuilder.randomJob(seed: 5)
        defer { _ = tmp2 }
        _ = try Reducer.run(
            directory: JobDirectory(copy),
            options: ReduceOptions(threads: 2, knnK: 5, centersFrom: job))
        for dataset in ["val", "ood-a", "ood-b"] {
            #expect(
                try JobBuilder.bytes("\(copy)/reduce/scores-\(dataset).json")
                    == JobBuilder.bytes("\(job)/reduce/scores-\(dataset).json"))
        }
        let error = #expect(throws: ReduceError.self) {
            try Reducer.run(
                directory: JobDirectory(copy),
                options: ReduceOptions(threads: 1, centersFrom: "/nonexistent"))
        }
        #expect(error?.code == "reduce.no-centers")
    }
}
