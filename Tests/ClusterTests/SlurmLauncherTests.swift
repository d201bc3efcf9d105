import Foundation
import Job
import TagoodSupport
import TagoodTestSupport
import Testing

@testable import Cluster

/// `launcher: slurm` against a real Slurm 22.05 started by the test (``LocalSlurm``): the job is
/// submitted as one sbatch array, completes exactly once, and survives a `scancel` of one task.
@Suite(.serialized) struct SlurmLauncherTests {
    static func writeCluster(_ job: ClusterFixture, tasks: Int, maxReplacements: Int = 2) throws {
        try """
        coordinator: {bind: 127.0.0.1, port: 0}
        launcher: slurm
        slurm: {tasks: \(tasks), partition: test, cpus_per_task: 1, time: "10:00", max_replacements: \(maxReplacements), extra: ["--mem=100M"]}
        heartbeat_seconds: 0.25
        liveness: 4
        max_attempts: 5
        shutdown_grace_seconds: 10
        """.write(toFile: job.root + "/cluster.yaml", atomically: true, encoding: .utf8)
    }

    static func launch(_ job: ClusterFixture, slurm: LocalSlurm, failpoints: String) throws -> BackgroundTagood {
        try BackgroundTagood(
            ["launch", "job.yaml", "--cluster", "cluster.yaml"], cwd: job.root,
            environment: slurm.environment.merging(["TAGOOD_FAILPOINTS": failpoints]) { $1 },
            outputFile: job.root + "/launch.out")
    }

    @Test func aJobRunsThroughSlurmExactlyOnce() throws {
        let slurm = try LocalSlurm()
        let job = try ClusterFixture(images: 12)
        try Self.writeCluster(job, tasks: 2)
        let result = try Self.launch(job, slurm: slurm, failpoints: "delay-per-image-ms=20").wait(seconds: 180)
        #expect(result.status == 0, "\(result.stdout)\n\(slurm.log())")
        #expect(result.stdout.contains("submitted Slurm job"), "\(result.stdout)")
        try job.expectExactlyOnce()
        let script = try String(contentsOfFile: job.jobDirectory.path + "/slurm/workers-1.sbatch", encoding: .utf8)
        for line in [
            "#SBATCH --array=0-1", "#SBATCH --partition=test", "#SBATCH --time=10:00", "#SBATCH --mem=100M",
            "--cores inherit"
        ] {
            #expect(script.contains(line), "\(script)")
        }
        let ids = try String(contentsOfFile: job.jobDirectory.path + "/slurm/jobs", encoding: .utf8).split(
            separator: "\n")
        let queue = try slurm.run("squeue", ["-h", "-j", ids.joined(separator: ",")])
        #expect(
            queue.stdout.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty,
            "no task is left in the queue: \(queue.stdout)")
        #expect(
            FileSystem.list(job.jobDirectory.logsFolder).contains { $0.hasPrefix("slurm-") },
            "each task logs to logs/slurm-*.log")
    }

    /// Issue 25, item 9: the job directory's path is quoted in the `#SBATCH` lines (HostileLaunchTests
    /// checks the script's text; this is sbatch reading it).
    @Test func aJobWhoseDirectoryHasSpacesQuotesAndPercentsRunsThroughARealSlurm() throws {
        let slurm = try LocalSlurm()
        let job = try ClusterFixture(images: 4)
        let jobYAML = job.root + "/job.yaml"
        try String(contentsOfFile: jobYAML, encoding: .utf8)
            .replacingOccurrences(of: "output: out", with: #"output: 'out dir #1 "q" 50%'"#)
            .write(toFile: jobYAML, atomically: true, encoding: .utf8)
        let directory = JobDirectory(job.root + #"/out dir #1 "q" 50%/job"#)
        try Self.writeCluster(job, tasks: 1)
        let result = try Self.launch(job, slurm: slurm, failpoints: "").wait(seconds: 300)
        #expect(result.status == 0, "\(result.stdout)\n\(slurm.log())")
        try ClusterFixture.expectExactlyOnce(directory)
        #expect(
            FileSystem.list(directory.logsFolder).contains { $0.hasPrefix("slurm-") },
            "sbatch read the quoted --output: the task logged to logs/slurm-*.log of the job directory")
    }

    @Test func ctrlCCancelsTheSlurmJob() throws {
        let slurm = try LocalSlurm()
        let job = try ClusterFixture(images: 24)
        try Self.writeCluster(job, tasks: 2)
        let run = try Self.launch(job, slurm: slurm, failpoints: "delay-per-image-ms=200")
        _ = try #require(
            try job.waitForRecord(seconds: 120) { $0.event == .assigned }, "\(run.outputSoFar)\n\(slurm.log())")
        kill(run.pid, SIGINT)
        kill(run.pid, SIGINT) // the second Ctrl-C stops at once
        let result = run.wait(seconds: 60)
        #expect(result.status == 130, "\(result.stdout)")
        let ids = try String(contentsOfFile: job.jobDirectory.path + "/slurm/jobs", encoding: .utf8).split(
            separator: "\n")
        var left = "?"
        for _ in 0..<50 {
            left = try slurm.run("squeue", ["-h", "-j", ids.joined(separator: ",")]).stdout.trimmingCharacters(
                in: .whitespacesAndNewlines)
            if left.isEmpty { break }
            usleep(200_000)
        }
        #expect(left.isEmpty, "scancel left tasks in the queue: \(left)")
        // The job resumes later, on the same launcher, exactly once.
        let resumed = try TagoodProcess.run(
            ["resume", job.jobDirectory.path, "--cluster", "cluster.yaml"], cwd: job.root,
            environment: slurm.environment)
        #expect(resumed.status == 0, "\(resumed.stdout)")
        try job.expectExactlyOnce()
    }

    @Test func theDemoJobCompletesExactlyOnceUnderSlurm() throws {
        let slurm = try LocalSlurm()
        let dir = try TemporaryDirectory(prefix: "tagood-demo-slurm")
        try """
        coordinator: {bind: 127.0.0.1, port: 0}
        launcher: slurm
        slurm: {tasks: 2, partition: test, cpus_per_task: 1}
        heartbeat_seconds: 0.25
        liveness: 4
        """.write(toFile: dir.path + "/cluster.yaml", atomically: true, encoding: .utf8)
        // The demo kills one worker on purpose: under Slurm its task ends and a replacement is submitted.
        let result = try TagoodProcess.run(
            ["demo", "--out", dir.path, "--cluster", dir.path + "/cluster.yaml"],
            environment: slurm.environment)
        #expect(result.status == 0, "\(result.stdout)\n\(result.stderr)\n\(slurm.log())")
        #expect(result.stdout.contains("submitted Slurm job"), "\(result.stdout)")
        #expect(result.stdout.contains("all 22 shards committed and verified"), "\(result.stdout)")
        try ClusterFixture.expectExactlyOnce(JobDirectory(dir.path + "/demo"))
    }

    @Test func aTaskCancelledMidJobHasItsShardRedoneAndIsReplaced() throws {
        let slurm = try LocalSlurm()
        let job = try ClusterFixture(images: 24)
        try Self.writeCluster(job, tasks: 2)
        let run = try Self.launch(job, slurm: slurm, failpoints: "delay-per-image-ms=150")
        let assigned = try #require(
            try job.waitForRecord(seconds: 120) { $0.event == .assigned }, "\(run.outputSoFar)\n\(slurm.log())")
        let ids = try String(contentsOfFile: job.jobDirectory.path + "/slurm/jobs", encoding: .utf8).split(
            separator: "\n")
        // Cancel the array task whose worker holds that lease (the worker id is host:pid; find its task by pid).
        let pid = try #require(ClusterFixture.pid(ofWorker: assigned.worker))
        let environ = (try? String(contentsOfFile: "/proc/\(pid)/environ", encoding: .utf8)) ?? ""
        let task =
            environ.split(separator: "\0").first { $0.hasPrefix("SLURM_ARRAY_TASK_ID=") }.map { $0.dropFirst(20) }
            ?? "0"
        let status = try TagoodProcess.run(["status", job.jobDirectory.path], environment: slurm.environment)
        #expect(status.stdout.contains("slurm: job \(ids[0]) (2 tasks: 2 RUNNING)"), "\(status.stdout)")
        let cancel = try slurm.run("scancel", ["\(ids[0])_\(task)"])
        #expect(cancel.status == 0, "\(cancel.stdout)\(cancel.stderr)")
        let result = run.wait(seconds: 240)
        #expect(result.status == 0, "\(result.stdout)\n\(slurm.log())")
        #expect(result.stdout.contains("submitting 1 replacement"), "\(result.stdout)")
        let records = try job.journal()
        #expect(ClusterFiles.wasRedoneOnce(assigned, in: records), "the cancelled task's shard was redone once")
        try job.expectExactlyOnce()
    }
}
