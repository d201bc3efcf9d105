import Foundation
import Job
import Testing
import Datasets
import Shards
import TagoodSupport
import TagoodTestSupport

/// `make demo` end to end: the real `tagood demo` process — generated JPEGs, a random-weight RAM, a
/// two-worker local cluster with one worker killed on purpose, resume, reduce and report.
@Suite struct DemoCommandTests {
    @Test func theDemoRunsEndToEndWithExactlyOnceShardsAndAReport() throws {
        let dir = try TemporaryDirectory(prefix: "tagood-demo")
        let result = try TagoodProcess.run(["demo", "--out", dir.path])
        #expect(result.status == 0, "\(result.stdout)\n\(result.stderr)")
        #expect(result.stdout.contains("killing worker pid"), "a worker was killed on purpose")
        #expect(result.stdout.contains("all 22 shards committed and verified"))
        #expect(result.stdout.contains("nothing to do: all 22 shards verified"))

        // Every planned image is in exactly one committed shard, in plan order.
        let job = dir.path + "/demo"
        let plan = try ShardPlan.load(path: job + "/plan.json")
        #expect(plan.imageCount == 352)
        for dataset in plan.datasets {
            var seen: [String] = []
            for range in dataset.shards {
                let reader = try ShardReader(path: JobDirectory(job).shardFile(ShardID(dataset: dataset.spec.name, index: range.index)))
                _ = try reader.verify()
                try reader.forEach { seen.append($0.path) }
                reader.close()
            }
            #expect(seen == dataset.images.paths, "\(dataset.spec.name)")
        }

        // The report exists in all three forms, and the far OOD set is told apart from ID.
        for file in ["report.json", "report.md", "report.html"] {
            #expect(FileManager.default.fileExists(atPath: job + "/report/" + file), "\(file)")
        }
        let text = String(decoding: try Data(contentsOf: URL(fileURLWithPath: job + "/report/report.json")), as: UTF8.self)
        #expect(text.contains("fpr95_tagood") && text.contains("fpr95_openood") && text.contains("aupr_out"))
        let auroc = try #require(Self.tagoodAUROC(text, set: "ood-far"))
        #expect(auroc > 0.5, "far-OOD AUROC \(auroc)")
    }

    /// The TagOOD AUROC of one OOD set in report.json.
    static func tagoodAUROC(_ json: String, set: String) -> Double? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any],
              let sets = object["ood"] as? [[String: Any]],
              let entry = sets.first(where: { ($0["dataset"] as? String) == set }),
              let metrics = entry["metrics"] as? [String: Any],
              let tagood = metrics["tagood"] as? [String: Any] else { return nil }
        return tagood["auroc"] as? Double
    }
}
