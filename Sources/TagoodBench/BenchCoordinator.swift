import ArgumentParser
import Cluster
import Datasets
import Foundation
import Imaging
import Job
import Launch
import Logging
import Shards
import TagoodSupport
import Transport

/// `tagood-bench coordinator`: the coordinator's own cost, with real `tagood worker` processes in
/// decode-only mode on shards of tiny images, and an exactly-once check of the result.
struct BenchCoordinator: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "coordinator",
        abstract: "Measure the coordinator: shard assignments per second, its CPU time per shard, exit latency.",
        discussion: """
            Runs a real decode-only job (tiny PNGs, one image per shard by default) with N local `tagood worker` \
            processes pinned round-robin to this machine's cores, then checks that every image is in exactly one \
            shard. \
            The coordinator's CPU time is this process's (workers are separate processes), so CPU ms per shard \
            gives the assignment rate one core could sustain; the measured rate is bounded by the workers.

            Example (simulate a large cluster):
              tagood-bench coordinator --workers 256 --shards 2000
            """
    )

    @Option(help: "Worker processes.") var workers: Int = 2
    @Option(help: "Shards in the job.") var shards: Int = 1000
    @Option(help: "Images per shard.") var imagesPerShard: Int = 1
    @Option(help: "The tagood executable the workers run (default: the tagood next to this program).")
    var tagood: String?
    @OptionGroup var results: BenchOutput

    mutating func run() throws {
        let dir = try TemporaryDirectory(prefix: "tagood-bench-coordinator")
        let images = dir.path + "/data"
        try FileManager.default.createDirectory(atPath: images, withIntermediateDirectories: true)
        let tiny = RGBImage(width: 4, height: 4, pixels: [UInt8](repeating: 128, count: 48))
        let png = try tiny.pngData()
        for i in 0..<(shards * imagesPerShard) {
            try AtomicFile.write(png, to: images + "/img\(ShardRange.padded(i)).png")
        }
        var job = try JobSpec.parse(
            """
            job: bench
            output: \(dir.path)/out
            model: {config: decode-only}
            datasets:
              - {name: tiny, role: ood, layout: nested, root: \(images)}
            extract: {images_per_shard: \(imagesPerShard)}
            """, file: dir.path + "/job.yaml")
        job.output = dir.path + "/out"
        let cores = CoreSet.available()
        let workerLines = (0..<workers).map { "  - {cores: \"\(cores[$0 % cores.count])\", threads: 1}" }
            .joined(separator: "\n")
        let cluster = try ClusterSpec.parse(
            """
            coordinator: {bind: 127.0.0.1, port: 0}
            heartbeat_seconds: 2
            liveness: 5
            workers:
            \(workerLines)
            """, file: "bench-cluster.yaml")

        let executable =
            tagood
            ?? URL(fileURLWithPath: currentExecutable()).deletingLastPathComponent()
            .appendingPathComponent("tagood").path
        let runner = JobRunner(
            job: job, cluster: cluster, options: JobRunner.Options(executable: executable),
            logger: Logger(label: "tagood.bench", factory: { _ in SwiftLogNoOpLogHandler() }))
        try runner.bindCoordinator()
        let (plan, _) = try runner.preparePlan()
        var firstAssign: Double?, lastCommit: Double?, coordinatorDone: Double?
        let before = CPUTime.now()
        let observer = ClusterRun.Observer(
            onEvent: { event in
                switch event {
                case .assigned: firstAssign = firstAssign ?? monotonicSeconds()
                case .committed: lastCommit = monotonicSeconds()
                default: break
                }
            },
            onTick: { state, running in
                if running.isEmpty && state.isComplete { coordinatorDone = coordinatorDone ?? monotonicSeconds() }
            })
        let summary = try runner.run(plan: plan, observer: observer)
        let exited = monotonicSeconds()
        let cpu = CPUTime.now() - before
        guard summary.outcome == .complete else {
            throw ValidationError("the benchmark job did not complete: \(summary.outcome)")
        }

        // Exactly once: every image in one committed shard.
        var seen: [String] = []
        for range in plan.datasets[0].shards {
            let id = ShardID(dataset: plan.datasets[0].spec.name, index: range.index)
            let reader = try ShardReader(path: runner.directory.shardFile(id))
            try reader.forEach { seen.append($0.path) }
            reader.close()
        }
        guard seen == plan.datasets[0].images.paths else { throw ValidationError("exactly-once check FAILED") }

        let span = max(1e-9, (lastCommit ?? exited) - (firstAssign ?? exited))
        let perShardMs = cpu * 1000 / Double(shards)
        let input = "\(workers) workers, \(shards) shards x \(imagesPerShard) tiny images, exactly-once verified"
        results.print("coordinator-assignments", "shards/s", Double(shards) / span, [("input", input)])
        results.print(
            "coordinator-cpu-per-shard", "ms", perShardMs,
            [("one_core_capacity_shards_per_s", Format.fixed(1000 / perShardMs, 0)), ("input", input)])
        results.print(
            "coordinator-exit-after-last-done", "s", (coordinatorDone ?? exited) - (lastCommit ?? exited),
            [("input", input)])
        results.print("workers-exited-after-last-done", "s", exited - (lastCommit ?? exited), [("input", input)])
    }
}

/// This process's CPU time (user + system) in seconds.
enum CPUTime {
    static func now() -> Double {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        return Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
            + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
    }
}
