import Foundation
import Job
import Shards
import TagoodSupport
import TagoodTestSupport
import Testing

/// RAM++ checkpoints through the real commands, and a job's shards from one model: a RAM++ checkpoint
/// extracts through `launch` and `extract` (shards named `ram_plus_…`); after a job extracted with RAM
/// weights, a job.yaml whose weights became RAM++ (the same file path, new content) is refused by `resume`,
/// which names both models, and nothing is redone.
@Suite(.serialized) struct ModelMixTests {
    /// A job of `near`'s four images with test_tiny weights (RAM, or RAM++ with `ramPlus`) and its tag files.
    static func modelJob(ramPlus: Bool) throws -> ClusterFixture {
        let job = try ClusterFixture(images: 4, perShard: 4)
        let root = job.root
        let tags = (0..<10).map { "tag\($0)" }.joined(separator: "\n") + "\n"
        try tags.write(toFile: root + "/tags.txt", atomically: true, encoding: .utf8)
        try "0 c0 c,tag1\n1 c1 c,tag4\n".write(toFile: root + "/classes.txt", atomically: true, encoding: .utf8)
        let weights = root + "/weights.safetensors"
        let made = try TagoodProcess.run(
            ["model", "init", "--config", "test_tiny", "--seed", "1", "-o", weights] + (ramPlus ? ["--ram-plus"] : []))
        #expect(made.status == 0, "\(made.stderr)")
        try """
        job: job
        output: out
        model: {config: test_tiny, weights: weights.safetensors, tags: tags.txt}
        class_tags: classes.txt
        datasets:
          - {name: near, role: ood, layout: imagefolder, root: data/near}
        extract: {images_per_shard: 4}
        """.write(toFile: root + "/job.yaml", atomically: true, encoding: .utf8)
        return job
    }

    @Test func aRAMPlusCheckpointExtractsThroughLaunchAndExtract() throws {
        let job = try Self.modelJob(ramPlus: true)
        let launched = try job.launch()
        #expect(launched.status == 0, "\(launched.stdout)\n\(launched.stderr)")
        let shard = try #require(try job.journal().first { $0.event == .committed }?.shard)
        let header = try ShardReader(path: job.jobDirectory.shardFile(shard)).header()
        #expect(header.metadata.modelName == "ram_plus_test_tiny")
        let out = job.root + "/one.h5"
        let extracted = try TagoodProcess.run(
            [
                "extract", "--config", "test_tiny", "--weights", "weights.safetensors", "--tags", "tags.txt",
                "--class-tags", "classes.txt", "--role", "id", "--images", "data/near", "--out", out
            ], cwd: job.root)
        #expect(extracted.status == 0, "\(extracted.stdout)\n\(extracted.stderr)")
        #expect(extracted.stdout.contains("model ram_plus_test_tiny"), "\(extracted.stdout)")
        #expect(try ShardReader(path: out).header().metadata.modelName == "ram_plus_test_tiny")
    }

    @Test func resumeRefusesAModelThatDidNotMakeTheCommittedShards() throws {
        let job = try Self.modelJob(ramPlus: false)
        let weights = job.root + "/weights.safetensors"
        let first = try job.launch()
        #expect(first.status == 0, "\(first.stdout)\n\(first.stderr)")
        let committed = try job.journal().filter { $0.event == .committed }.count
        #expect(committed == 1)

        let initPlus = try TagoodProcess.run([
            "model", "init", "--config", "test_tiny", "--ram-plus", "--seed", "1", "-o", weights
        ])
        #expect(initPlus.status == 0, "\(initPlus.stderr)")
        let resumed = try job.resume()
        #expect(resumed.status != 0)
        let said = resumed.stdout + resumed.stderr
        #expect(said.contains("test_tiny") && said.contains("ram_plus_test_tiny"), "\(said)")
        #expect(said.contains("cannot mix"), "\(said)")
        #expect(try job.journal().filter { $0.event == .committed }.count == committed, "nothing was redone")
    }
}
