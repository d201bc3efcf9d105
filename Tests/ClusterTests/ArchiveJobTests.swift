import Datasets
import Foundation
import Imaging
import Job
import Shards
import TagoodSupport
import TagoodTestSupport
import Testing

@testable import Launch

/// One dataset packed three ways — ImageNet's tar of class tars (Python's `tarfile`), a flat tar with a
/// label list (GNU tar), webdataset shards (pax headers) — extracts through `tagood launch` to the same
/// records, token for token, as the loose files, every image exactly once; and `resume` refuses a tar that
/// changed after planning, naming it.
@Suite(.serialized) struct ArchiveJobTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    /// The data, the packed tars, a small random RAM and the job file in a fresh folder.
    static func fixture() throws -> TemporaryDirectory {
        let dir = try TemporaryDirectory(prefix: "tagood-archive-job")
        let root = dir.path
        var rng = SplitMix64(seed: 21)
        func image(_ path: String, _ i: Int) throws {
            let (w, h) = (60 + 9 * i, 50 + 5 * (i % 4))
            let pixels = (0..<(w * h * 3)).map { p in
                UInt8(truncatingIfNeeded: (p % (17 + i)) * 11 + Int(rng.next() % 60))
            }
            try TarMaker.write([], to: root + "/data/" + path)
            let rgb = RGBImage(width: w, height: h, pixels: pixels)
            if path.hasSuffix(".png") {
                try rgb.writePNG(to: root + "/data/" + path)
            } else {
                try rgb.writeJPEG(to: root + "/data/" + path)
            }
        }
        for i in 0..<9 { try image("train/c\(i % 3)/t\(i).\(i == 4 ? "png" : "jpg")", i) }
        var labels = ""
        for i in 0..<6 {
            try image("val/v\(i).jpg", 20 + i)
            labels += "v\(i).jpg \(i % 3)\n"
        }
        try labels.write(toFile: root + "/data/val.txt", atomically: true, encoding: .utf8)
        var wds: [[String]] = [[], []]
        for i in 0..<6 {
            try image("ood/o\(i).jpg", 40 + i)
            wds[i / 3] += ["o\(i).jpg", "o\(i).cls@=\(i)"]
        }
        try TarMaker.pack(
            root + "/packed/train.tar", writer: .pythonGNU, base: root + "/data/train",
            members: ["c2.tar=c2", "c0.tar=c0", "c1.tar=c1"])
        try TarMaker.pack(
            root + "/packed/val.tar", writer: .gnuTarGNU, base: root + "/data/val",
            members: (0..<6).map { "v\($0).jpg" })
        for (n, members) in wds.enumerated() {
            try TarMaker.pack(
                root + "/packed/wds/shard-00\(n).tar", writer: .pythonPax, base: root + "/data/ood", members: members)
        }
        try (0..<6).map { "tag\($0)" }.joined(separator: "\n").write(
            toFile: root + "/tags.txt", atomically: true, encoding: .utf8)
        try "0 c0 zero,tag0\n1 c1 one,tag1\n2 c2 two,tag4\n".write(
            toFile: root + "/class_tags.txt", atomically: true, encoding: .utf8)
        let model = try TagoodProcess.run([
            "model", "init", "--config", repository + "/jobs/demo-model.json", "--seed", "3", "--tags", "6", "-o",
            root + "/model.safetensors"
        ])
        #expect(model.status == 0, "\(model.stderr)")
        try """
        job: job
        output: out
        model: {config: \(repository)/jobs/demo-model.json, weights: model.safetensors, tags: tags.txt}
        class_tags: class_tags.txt
        datasets:
          - {name: train, role: id-train, layout: imagefolder, root: data/train}
          - {name: train-tar, role: id-train, layout: tar, root: packed/train.tar}
          - {name: val, role: id-val, layout: list, root: data/val, list: data/val.txt}
          - {name: val-tar, role: id-val, layout: tar, root: packed/val.tar, list: data/val.txt}
          - {name: ood, role: ood, layout: nested, root: data/ood, group: far}
          - {name: ood-wds, role: ood, layout: webdataset, root: "packed/wds/shard-*.tar", group: far}
        extract: {images_per_shard: 4, batch_size: 4, decode_threads: 1}
        """.write(toFile: root + "/job.yaml", atomically: true, encoding: .utf8)
        try ClusterFiles.twoWorkers(cores: CoreSet.available()).write(
            toFile: root + "/cluster.yaml", atomically: true, encoding: .utf8)
        return dir
    }

    /// Every record of a dataset's committed shards, in plan order.
    static func records(_ job: JobDirectory, _ dataset: PlannedDataset) throws -> [ShardRecord] {
        var records: [ShardRecord] = []
        for range in dataset.shards {
            try ShardReader(path: job.shardFile(ShardID(dataset: dataset.spec.name, index: range.index))).forEach {
                records.append($0.record)
            }
        }
        return records
    }

    @Test func packedThreeWaysTheDataExtractsToTheLooseFilesTokens() throws {
        let dir = try Self.fixture()
        let run = try TagoodProcess.run(["launch", "job.yaml", "--cluster", "cluster.yaml"], cwd: dir.path)
        #expect(run.status == 0, "\(run.stdout)\n\(run.stderr)")
        let job = JobDirectory(dir.path + "/out/job")
        try ClusterFixture.expectExactlyOnce(job)
        let plan = try ShardPlan.load(path: job.planFile)
        #expect(plan.dataset(named: "train-tar")?.images.paths.first == "train.tar/c0.tar/t0.jpg")
        #expect(plan.dataset(named: "ood-wds")?.images.paths.last == "shard-001.tar/o5.jpg")
        for (packed, loose) in [("train-tar", "train"), ("val-tar", "val"), ("ood-wds", "ood")] {
            let a = try Self.records(job, try #require(plan.dataset(named: packed)))
            let b = try Self.records(job, try #require(plan.dataset(named: loose)))
            #expect(a.count == b.count && !a.isEmpty, "\(packed)")
            #expect(a.map(\.label) == b.map(\.label), "\(packed): the labels")
            for (x, y) in zip(a, b) {
                var same = x
                same.path = y.path
                #expect(same == y, "\(x.path) against \(y.path)")
            }
            #expect(a.contains { $0.tokenCount > 0 }, "\(packed): tokens were kept, so the comparison says something")
        }
        #expect(plan.dataset(named: "ood-wds")?.spec.group == "far")

        // A new report group: the same plan (nothing to redo), the group written into plan.json and job.yaml.
        let jobFile = dir.path + "/job.yaml"
        try String(contentsOfFile: jobFile, encoding: .utf8)
            .replacingOccurrences(
                of: "\"packed/wds/shard-*.tar\", group: far", with: "\"packed/wds/shard-*.tar\", group: web"
            )
            .write(toFile: jobFile, atomically: true, encoding: .utf8)
        let again = try TagoodProcess.run(["launch", "job.yaml", "--cluster", "cluster.yaml"], cwd: dir.path)
        #expect(
            again.status == 0 && again.stdout.contains("reusing the existing plan"), "\(again.stdout)\(again.stderr)")
        #expect(try ShardPlan.load(path: job.planFile).dataset(named: "ood-wds")?.spec.group == "web")
        #expect(try String(contentsOfFile: job.jobFile, encoding: .utf8).contains("group: \"web\""))

        // A tar touched after planning: resume refuses it, naming it, before any work.
        let tar = dir.path + "/packed/val.tar"
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: 120)], ofItemAtPath: tar)
        let resume = try TagoodProcess.run(["resume", job.path, "--cluster", "cluster.yaml"], cwd: dir.path)
        #expect(resume.status != 0)
        #expect(resume.stderr.contains("tar \(tar) changed after the plan indexed it"), "\(resume.stderr)")
    }
}
