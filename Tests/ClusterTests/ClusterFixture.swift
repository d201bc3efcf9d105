import Datasets
import Foundation
import Imaging
import Job
import Shards
import TagoodSupport
import TagoodTestSupport
import Testing

@testable import Cluster
@testable import Launch

/// A real job on this machine: generated PNG images, a job file, a cluster file with two pinned CPU
/// workers on 127.0.0.1, and helpers to disturb and inspect the run.
final class ClusterFixture {
    let dir: TemporaryDirectory
    var root: String { dir.path }
    var jobDirectory: JobDirectory { JobDirectory(root + "/out/job") }

    /// - Parameters:
    ///   - images: images per dataset (two datasets: `near` in class folders, `far` nested).
    ///   - corrupt: extra undecodable files added to `far`.
    init(
        images: Int = 12, perShard: Int = 4, corrupt: [String] = [], maxAttempts: Int = 3, heartbeat: Double = 0.25
    ) throws {
        dir = try TemporaryDirectory(prefix: "tagood-cluster")
        for i in 0..<images {
            try writeImage(root + "/data/near/c\(i % 2)/n\(String(format: "%03d", i)).png", seed: i)
            try writeImage(root + "/data/far/deep/f\(String(format: "%03d", i)).png", seed: 100 + i)
        }
        for name in corrupt {
            try Data("this is not an image".utf8).write(to: URL(fileURLWithPath: root + "/data/far/" + name))
        }
        try """
        job: job
        output: out
        model: {config: decode-only}
        datasets:
          - {name: near, role: ood, layout: imagefolder, root: data/near}
          - {name: far, role: ood, layout: nested, root: data/far}
        extract: {images_per_shard: \(perShard)}
        """.write(toFile: root + "/job.yaml", atomically: true, encoding: .utf8)
        try ClusterFiles.twoWorkers(cores: CoreSet.available(), heartbeat: heartbeat, maxAttempts: maxAttempts)
            .write(toFile: root + "/cluster.yaml", atomically: true, encoding: .utf8)
    }

    private func writeImage(_ path: String, seed: Int) throws {
        try FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        var image = RGBImage(width: 24 + seed % 7, height: 20 + seed % 5)
        for i in image.pixels.indices { image.pixels[i] = UInt8(truncatingIfNeeded: i &* 31 &+ seed &* 17) }
        try image.writePNG(to: path)
    }

    /// `tagood launch` to completion.
    func launch(failpoints: String? = nil) throws -> TagoodProcess.Result {
        try TagoodProcess.run(
            ["launch", "job.yaml", "--cluster", "cluster.yaml"], cwd: root,
            environment: failpoints.map { ["TAGOOD_FAILPOINTS": $0] } ?? [:])
    }

    /// `tagood launch` in the background.
    func launchInBackground(failpoints: String? = nil) throws -> BackgroundTagood {
        try BackgroundTagood(
            ["launch", "job.yaml", "--cluster", "cluster.yaml"], cwd: root,
            environment: failpoints.map { ["TAGOOD_FAILPOINTS": $0] } ?? [:])
    }

    func resume(failpoints: String? = nil) throws -> TagoodProcess.Result {
        try TagoodProcess.run(
            ["resume", jobDirectory.path, "--cluster", "cluster.yaml"], cwd: root,
            environment: failpoints.map { ["TAGOOD_FAILPOINTS": $0] } ?? [:])
    }

    func journal() throws -> [JournalRecord] { try Journal.read(path: jobDirectory.journalFile) }

    /// Waits until the journal has a record matching `predicate` (at most `seconds`).
    func waitForRecord(seconds: Double = 60, _ predicate: (JournalRecord) -> Bool) throws -> JournalRecord? {
        ClusterFiles.waitForRecord(in: jobDirectory.journalFile, seconds: seconds, predicate)
    }

    /// The pid in a worker id `host:pid`.
    static func pid(ofWorker worker: String?) -> Int32? {
        worker.flatMap { $0.split(separator: ":").last }.flatMap { Int32($0) }
    }

    /// Every committed shard verifies, and together they hold every planned image exactly once.
    func expectExactlyOnce(sourceLocation: SourceLocation = #_sourceLocation) throws {
        try Self.expectExactlyOnce(jobDirectory, sourceLocation: sourceLocation)
    }

    /// Every committed shard of `jobDirectory` verifies, and together they hold every planned image exactly once.
    static func expectExactlyOnce(
        _ jobDirectory: JobDirectory, sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let plan = try ShardPlan.load(path: jobDirectory.planFile)
        for dataset in plan.datasets {
            var seen: [String] = []
            for range in dataset.shards {
                let path = jobDirectory.shardFile(ShardID(dataset: dataset.spec.name, index: range.index))
                let reader = try ShardReader(path: path)
                _ = try reader.verify()
                try reader.forEach { seen.append($0.path) }
                reader.close()
            }
            #expect(
                seen == dataset.images.paths, "dataset \(dataset.spec.name): every image exactly once, in plan order",
                sourceLocation: sourceLocation)
        }
        let leftovers = try FileManager.default.subpathsOfDirectory(atPath: jobDirectory.shardsFolder).filter {
            $0.contains(".tmp-")
        }
        #expect(leftovers.isEmpty, "no temporary files remain: \(leftovers)", sourceLocation: sourceLocation)
    }
}
