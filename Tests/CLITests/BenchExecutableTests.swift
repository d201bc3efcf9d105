import Foundation
import TagoodSupport
import TagoodTestSupport
import Testing

/// `tagood-bench`, the benchmarks' own executable: its subcommands run on tiny inputs and print the JSON
/// lines `tools/bench.py` reads.
@Suite struct BenchExecutableTests {
    /// Runs `tagood-bench args…` and returns its JSON lines.
    private func jsonLines(_ args: [String]) throws -> [[String: Any]] {
        let result = try TagoodProcess.runProgram(TagoodProcess.benchExecutable, args)
        #expect(result.status == 0, "\(args): \(result.stderr)")
        return try result.stdout.split(separator: "\n").filter { $0.hasPrefix("{") }.map {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any]
        }
    }

    @Test func helpListsEveryBenchmark() throws {
        let result = try TagoodProcess.runProgram(TagoodProcess.benchExecutable, ["--help"])
        #expect(result.status == 0)
        for command in ["decode", "shard-write", "scan", "forward", "reduce", "coordinator", "train", "score"] {
            #expect(result.stdout.contains(command), "--help lists \(command)")
        }
    }

    @Test func scanAndShardWritePrintOneResultLine() throws {
        let dir = try TemporaryDirectory(prefix: "tagood-bench-test")
        for path in ["n01/a.JPEG", "n01/b.JPEG", "n02/c.png"] {
            let url = URL(fileURLWithPath: dir.path + "/root/" + path)
            try FileManager.default.createDirectory(
                at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data([1]).write(to: url)
        }
        let scan = try jsonLines(["scan", "--root", dir.path + "/root", "--json"])
        #expect(scan.count == 1)
        #expect(scan.first?["bench"] as? String == "scan-imagefolder")
        #expect(scan.first?["impl"] as? String == "tagood")
        #expect(scan.first?["paths"] as? String == "3")

        let write = try jsonLines([
            "shard-write", "--images", "20", "--tokens-per-image", "4", "--embed-dim", "8",
            "--image-tokens", "8", "--dir", dir.path, "--json"
        ])
        #expect(write.first?["bench"] as? String == "shard-write")
        #expect(write.first?["tokens"] as? String == "80")
    }

    /// `reduce` writes its synthetic job with TagoodTestSupport, which only tagood-bench links.
    @Test func reduceComparesWithCat() throws {
        let lines = try jsonLines([
            "reduce", "--shards", "2", "--images-per-shard", "8", "--tokens-per-image", "3",
            "--embed-dim", "8", "--classes", "4", "--threads", "1", "--no-knn", "--json"
        ])
        let measured = Set(lines.map { "\($0["bench"] as? String ?? "?")/\($0["impl"] as? String ?? "?")" })
        #expect(measured == ["reduce-read/tagood", "reduce-read/cat", "reduce-images/tagood"])
    }

    /// `coordinator` starts the `tagood` built next to it as its workers.
    @Test func coordinatorRunsTagoodWorkers() throws {
        let lines = try jsonLines(["coordinator", "--workers", "1", "--shards", "3", "--json"])
        #expect(
            lines.map { $0["bench"] as? String } == [
                "coordinator-assignments", "coordinator-cpu-per-shard", "coordinator-exit-after-last-done",
                "workers-exited-after-last-done"
            ])
    }
}
