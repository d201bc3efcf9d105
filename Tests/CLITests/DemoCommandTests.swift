import Datasets
import Foundation
import Job
import Shards
import TagoodSupport
import TagoodTestSupport
import Testing

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
                let reader = try ShardReader(
                    path: JobDirectory(job).shardFile(ShardID(dataset: dataset.spec.name, index: range.index)))
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
        let text = String(
            decoding: try Data(contentsOf: URL(fileURLWithPath: job + "/report/report.json")), as: UTF8.self)
        #expect(text.contains("fpr95_tagood") && text.contains("fpr95_openood") && text.contains("aupr_out"))
        let auroc = try #require(Self.tagoodAUROC(text, set: "ood-far"))
        #expect(auroc > 0.5, "far-OOD AUROC \(auroc)")

        // Step 6 trained the projector: the loss fell, the accuracy rose, and the learned column is in the
        // report. Its cosine part (the score over the tag factor, which random weights make anti-informative
        // on far OOD) tells the far OOD set from ID better than chance.
        let history = Self.lines(job + "/train/history.jsonl")
        #expect(history.count == 20)
        let first = try #require(history.first), last = try #require(history.last)
        #expect((last["loss"] as! Double) < (first["loss"] as! Double))
        #expect((last["accuracy"] as! Double) > (first["accuracy"] as! Double))
        #expect(text.contains("tagood-learned"))
        let val = try Self.scores(job + "/reduce/scores-val.json"),
            far = try Self.scores(job + "/reduce/scores-ood-far.json")
        #expect(Self.auroc(positives: val, negatives: far) > 0.5)
    }

    /// A training run killed with SIGKILL in its second epoch, then resumed, ends with the same checkpoint
    /// bytes as a run that was never stopped.
    @Test func aKilledTrainingRunResumesBitForBit() throws {
        let dir = try TemporaryDirectory(prefix: "tagood-train")
        let demo = try TagoodProcess.run(["demo", "--out", dir.path])
        #expect(demo.status == 0, "\(demo.stdout)\n\(demo.stderr)")
        let job = dir.path + "/demo", checkpoint = job + "/train/checkpoint.safetensors"
        let args = [
            "train", job, "--epochs", "3", "--batch", "32", "--threads", "2", "--center-momentum", "0.9", "--quiet"
        ]
        let straight = try TagoodProcess.run(args + ["--restart", "--pth-every", "1"])
        #expect(straight.status == 0, "\(straight.stdout)\n\(straight.stderr)")
        let expected = try Data(contentsOf: URL(fileURLWithPath: checkpoint))
        // The authors' layout beside it: their script lists names containing "checkpoint", drops `init` and
        // takes the highest `split("_")[1]` epoch, counting from 0.
        let pth = FileSystem.list(job + "/train/pth").filter { $0.contains("checkpoint") }.sorted()
        #expect(pth == ["checkpoint_0.pth", "checkpoint_1.pth", "checkpoint_2.pth", "checkpoint_init.pth"], "\(pth)")

        unlink(job + "/train/history.jsonl")
        unlink(checkpoint)
        let slow = try BackgroundTagood(args, environment: ["TAGOOD_FAILPOINTS": "delay-per-train-step-ms=400"])
        let deadline = Date().addingTimeInterval(120)
        while Self.lines(job + "/train/history.jsonl").count < 1 && Date() < deadline { usleep(20_000) }
        usleep(500_000) // inside epoch 2
        kill(slow.pid, SIGKILL)
        _ = slow.wait()
        #expect(
            Self.lines(job + "/train/history.jsonl").count == 1, "killed after epoch 1's checkpoint, before epoch 2's")
        let resumed = try TagoodProcess.run(["train", job, "--resume", "--threads", "2", "--quiet"])
        #expect(resumed.status == 0, "\(resumed.stdout)\n\(resumed.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: checkpoint)) == expected)
        #expect(Self.lines(job + "/train/history.jsonl").count == 3)
    }

    /// A job directory moved elsewhere: its checkpoint still resumes, and its reduce gives the same scores.
    @Test func aMovedJobTrainsOnAndReducesTheSame() throws {
        let dir = try TemporaryDirectory(prefix: "tagood-moved")
        let demo = try TagoodProcess.run(["demo", "--out", dir.path])
        #expect(demo.status == 0, "\(demo.stdout)\n\(demo.stderr)")
        let scores = "/reduce/scores-val.json"
        let before = try Data(contentsOf: URL(fileURLWithPath: dir.path + "/demo" + scores))
        try FileManager.default.moveItem(atPath: dir.path + "/demo", toPath: dir.path + "/moved")
        let job = dir.path + "/moved"

        let resumed = try TagoodProcess.run(["train", job, "--resume", "--threads", "2", "--quiet"])
        #expect(resumed.status == 0, "the checkpoint is the moved job's: \(resumed.stdout)\n\(resumed.stderr)")
        unlink(job + scores)
        let reduced = try TagoodProcess.run(["reduce", job, "--threads", "2"])
        #expect(reduced.status == 0, "\(reduced.stdout)\n\(reduced.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: job + scores)) == before)
    }

    static func lines(_ path: String) -> [[String: Any]] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
    }

    /// The learned score over the max tag probability (the learned cosine) of a scores file.
    static func scores(_ path: String) throws -> [Double] {
        let object =
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as! [String: Any]
        let scores = object["scores"] as! [String: [Double]]
        return zip(scores["tagood-learned"]!, scores["max-tag-prob"]!).map { $1 > 0 ? $0 / $1 : 0 }
    }

    /// P(positive > negative) + ½ P(tie).
    static func auroc(positives: [Double], negatives: [Double]) -> Double {
        var wins = 0.0
        for p in positives { for n in negatives { wins += p > n ? 1 : (p == n ? 0.5 : 0) } }
        return wins / Double(positives.count * negatives.count)
    }

    /// The TagOOD AUROC of one OOD set in report.json.
    static func tagoodAUROC(_ json: String, set: String) -> Double? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any],
            let sets = object["ood"] as? [[String: Any]],
            let entry = sets.first(where: { ($0["dataset"] as? String) == set }),
            let metrics = entry["metrics"] as? [String: Any],
            let tagood = metrics["tagood"] as? [String: Any]
        else { return nil }
        return tagood["auroc"] as? Double
    }
}
