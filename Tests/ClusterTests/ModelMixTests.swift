import Foundation
import Job
import TagoodSupport
import TagoodTestSupport
import Testing

/// A job's shards come from one model: after a job extracted with RAM weights, a job.yaml whose weights
/// became RAM++ (the same file path, new content) is refused by `resume`, which names both models, and
/// nothing is redone.
@Suite(.serialized) struct ModelMixTests {
    @Test func resumeRefusesAModelThatDidNotMakeTheCommittedShards() throws {
        let job = try ClusterFixture(images: 4, perShard: 4)
        let root = job.root
        let tags = (0..<10).map { "tag\($0)" }.joined(separator: "\n") + "\n"
        try tags.write(toFile: root + "/tags.txt", atomically: true, encoding: .utf8)
        try "0 c0 c,tag1\n1 c1 c,tag4\n".write(toFile: root + "/classes.txt", atomically: true, encoding: .utf8)
        let weights = root + "/weights.safetensors"
        let initRAM = try TagoodProcess.run(["model", "init", "--config", "test_tiny", "--seed", "1", "-o", weights])
        #expect(initRAM.status == 0, "\(initRAM.stderr)")
        try """
        job: job
        output: out
        model: {config: test_tiny, weights: weights.safetensors, tags: tags.txt}
        class_tags: classes.txt
        datasets:
          - {name: near, role: ood, layout: imagefolder, root: data/near}
        extract: {images_per_shard: 4}
        """.write(toFile: root + "/job.yaml", atomically: true, encoding: .utf8)
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
