import ArgumentParser
import Cluster
import Coordination
import DemoData
import Extract
import Foundation
import Job
import Launch
import Model
import TagoodSupport
import Transport

/// `tagood demo`: the whole pipeline, for real, on a dataset made on the spot.
struct Demo: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract:
            "Run the whole TagOOD pipeline on a generated dataset: extract on a local cluster, survive a killed worker, resume, reduce, report.",
        discussion: """
            1. generates a deterministic dataset of real JPEGs: 8 ID classes (train and val), near OOD (other \
            shapes, same style) and far OOD (textures and patterns), with its tag list and class → tag map;
            2. writes a small random-weight RAM-architecture model (jobs/demo-model.json);
            3. launches jobs/demo.yaml on cluster.yaml's local cluster (2 workers, one core each);
            4. kills one worker with SIGKILL partway through, on purpose;
            5. runs resume, which re-verifies every shard;
            6. trains TagOOD's projector and EMA class centers on the train shards (a short run);
            7. reduces the shards into class centers and scores (the learned ones included);
            8. writes the report, prints its tables and where everything is.

            Random weights carry no semantics: the numbers show the machinery working, not TagOOD's quality.
            """
    )

    @Option(help: "Where to put the data, the model and the job (default: out/, next to jobs/).") var out: String?

    @Option(help: "The demo job file (default: jobs/demo.yaml of this checkout).") var job: String?

    @Option(help: "The cluster file; its port is replaced by a free one (default: cluster.yaml of this checkout).")
    var cluster: String?

    @Option(help: "Seed of the dataset and of the model weights.") var seed: UInt64 = 7

    @Flag(help: "Reuse the dataset and model of an earlier demo (they are deterministic); only the job runs again.")
    var keep = false

    mutating func run() throws {
        SignalMonitor.install()
        let started = Date()
        let job = try self.job ?? Self.repositoryFile("jobs/demo.yaml")
        let cluster = try self.cluster ?? Self.repositoryFile("cluster.yaml")
        var spec = try JobSpec.load(path: job, checkPaths: false)
        let base = out.map { Self.absolute($0) } ?? spec.output
        let data = base + "/demo-data"
        spec.output = base
        let jobDirectory = JobDirectory(spec.directory)
        let weights = data + "/model.safetensors"
        let reuse = keep && FileManager.default.fileExists(atPath: weights)
        if !reuse { TemporaryDirectory.removeTree(data) }
        TemporaryDirectory.removeTree(jobDirectory.path)

        // 1. The dataset.
        let tagList = data + "/tag_list.txt", classMap = data + "/class_tags.txt"
        if reuse {
            step(1, "reusing the dataset in \(data) (--keep)")
        } else {
            step(1, "generating the dataset in \(data)")
            let manifest = try DemoDataset(seed: seed).generate(into: data)
            print("   \(manifest.classes.count) classes: \(manifest.classes.map(\.folder).joined(separator: ", "))")
            print(
                "   \(manifest.trainCount) train, \(manifest.valCount) val, \(manifest.oodNearCount) near-OOD, \(manifest.oodFarCount) far-OOD JPEGs; \(manifest.tags.count) tags"
            )
        }
        let tagCount = try TagVocabulary.load(path: tagList).count

        // 2. The model.
        let config = try RAMConfig.resolve(spec.model.config, numTags: tagCount)
        if reuse {
            step(2, "reusing the model \(weights)")
        } else {
            step(2, "writing a random-weight model (\(Path.basename(of: spec.model.config)))")
            try RAMWeights.random(config: config, seed: seed).write(to: weights, metadata: ["seed": String(seed)])
            print(
                "   \(config.name): Swin \(config.vision.imageResolution) px, depths \(config.vision.depths), \(tagCount) tags → \(weights)"
            )
        }

        spec.model.weights = weights
        spec.model.tags = tagList
        spec.classTags = classMap
        for i in spec.datasets.indices { spec.datasets[i].root = data + "/" + spec.datasets[i].name }

        // 3 + 4. Launch, and kill a worker on purpose.
        var clusterSpec = try ClusterSpec.load(path: cluster)
        clusterSpec.port = 0
        step(
            3,
            "launching job \(spec.name) on \(clusterSpec.workerCount) workers, launcher \(clusterSpec.launcher.rawValue) (\(cluster))"
        )
        var options = JobRunner.Options(executable: currentExecutable())
        let logger = Console.logger("tagood.demo")
        let runner = JobRunner(job: spec, cluster: clusterSpec, options: options, logger: logger)
        let (plan, _) = try runner.preparePlan()
        let progress = ProgressView(plan: plan, logger: logger)
        var killed = false
        var latest: JobState?
        var observer = progress.observer
        let show = observer.onTick
        observer.onTick = { state, running in
            latest = state
            show(state, running)
        }
        observer.onEvent = { event in
            progress.handle(event)
            if !killed, case .committed(let shard, _, _, _, _) = event,
                let victim = latest.flatMap({ Self.busyWorker($0, besides: shard) })
            {
                killed = true
                progress.log(
                    "demo: step 4 — killing worker pid \(victim) with SIGKILL, on purpose; its shard will be re-queued")
                kill(victim, SIGKILL)
            }
        }
        let launch = try runner.run(plan: plan, observer: observer)
        progress.finish()
        let code = JobSummaryPrinter.print(launch, directory: runner.directory)
        guard code == 0 else { throw ExitCode(code) }

        // 5. Resume.
        step(5, "resume: re-verifying every shard")
        options.resume = true
        let resumed = try JobRunner(
            job: spec, cluster: clusterSpec, options: options, logger: Console.logger("tagood.demo", prefix: "  ")
        )
        .run(plan: plan, observer: ClusterRun.Observer())
        print(
            resumed.nothingToDo
                ? "   nothing to do: all \(plan.shardCount) shards verified (\(resumed.audit.verified) checked)"
                : "   redone: \(resumed.audit.invalid.map(\.shard.description).joined(separator: ", "))")

        // 6, 7 + 8. Train, reduce and report.
        try DemoReport.run(jobDirectory: runner.directory, step: step)
        print("")
        print("demo finished in \(Format.fixed(Date().timeIntervalSince(started), 1)) s")
        print("  shards:  \(runner.directory.shardsFolder)/<dataset>/shard-NNNNN.h5  (tagood inspect …)")
        print("  status:  tagood status \(runner.directory.path)")
    }

    private func step(_ n: Int, _ text: String) {
        print("\n== \(n). \(text)")
    }

    /// A worker that holds a lease in `state` (the coordinator's own, as of its last tick), to kill: not the
    /// one whose shard `committed` just committed, which may be idle now.
    static func busyWorker(_ state: JobState, besides committed: ShardID) -> Int32? {
        state.running.lazy.filter { $0 != committed }.compactMap { id -> Int32? in
            guard case .running(_, let worker, _)? = state.shards[id]?.status else { return nil }
            return worker.split(separator: ":").last.flatMap { Int32($0) }
        }.first
    }

    /// A file of this checkout: under the current directory, or above the executable (`.build/…/tagood`).
    static func repositoryFile(_ relative: String) throws -> String {
        let fm = FileManager.default
        if fm.fileExists(atPath: relative) { return relative }
        var dir = URL(fileURLWithPath: currentExecutable()).deletingLastPathComponent()
        for _ in 0..<6 {
            let candidate = dir.appendingPathComponent(relative).path
            if fm.fileExists(atPath: candidate) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        throw ValidationError(
            "cannot find \(relative): run the demo from the tagood checkout, or pass --job and --cluster")
    }

    static func absolute(_ path: String) -> String {
        path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
    }
}
