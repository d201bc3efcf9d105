import Datasets
import Foundation
import TagoodSupport
import TagoodTestSupport
import Testing

@Suite struct PlanCommandTests {
    @Test func helpListsTheCommands() throws {
        let result = try TagoodProcess.run(["--help"])
        #expect(result.status == 0)
        for command in ["plan", "train"] {
            #expect(result.stdout.contains(command), "--help mentions \(command)")
        }
        #expect(!result.stdout.contains("bench"), "the benchmarks are tagood-bench's, not tagood's")
    }

    @Test func planWritesALoadablePlanAndATable() throws {
        let dir = try TemporaryDirectory(prefix: "tagood-cli")
        for path in ["val/n01/a.JPEG", "val/n01/b.JPEG", "val/n02/c.png", "ood/x/1.jpg", "ood/notes.txt"] {
            let url = URL(fileURLWithPath: dir.path + "/" + path)
            try FileManager.default.createDirectory(
                at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data([1]).write(to: url)
        }
        let result = try TagoodProcess.run([
            "plan", "--dataset", "val:id-val:imagefolder:\(dir.path)/val",
            "--dataset", "far:ood:nested:\(dir.path)/ood", "--images-per-shard", "2", "-o", dir.path + "/plan.json"
        ])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("val") && result.stdout.contains("4 images in 3 shards"))
        #expect(result.stdout.contains("1 files without"))
        let plan = try ShardPlan.load(path: dir.path + "/plan.json")
        #expect(plan.imageCount == 4)
        #expect(result.stdout.contains(plan.hash))
    }

    @Test func badDatasetSpecsFailWithAReason() throws {
        let missing = try TagoodProcess.run(["plan", "--dataset", "v:id-val:imagefolder:/nonexistent/val"])
        #expect(missing.status != 0)
        #expect(missing.stderr.contains("/nonexistent/val does not exist"))
        let role = try TagoodProcess.run(["plan", "--dataset", "v:train:imagefolder:/tmp"])
        #expect(role.status != 0)
        #expect(role.stderr.contains("role 'train' must be one of"))
    }
}
