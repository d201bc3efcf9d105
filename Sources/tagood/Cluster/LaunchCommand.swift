import ArgumentParser
import Cluster
import Coordination
import Datasets
import Foundation
import Job
import Launch
import TagoodSupport

/// `tagood launch`: run a job on a cluster.
struct Launch: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "launch",
        abstract: "Extract a job's datasets into HDF5 shards on the workers of a cluster.",
        discussion: """
            1. plans the job (or reuses the plan already in its job directory),
            2. binds the coordinator and starts the workers named in the cluster file,
            3. shows progress until every shard is committed and verified.

            The job directory is <output>/<job> (see the job file). A killed or interrupted launch loses \
            nothing: run `tagood resume <job dir>` (or the same launch again).
            Exit status: 0 when every shard is committed, 1 when some failed for good, 130 when interrupted.

            Example:
              tagood launch jobs/demo.yaml --cluster cluster.yaml
            """
    )

    @Argument(help: "The job file (jobs/<name>.yaml).") var job: String

    @Option(help: "The cluster file.") var cluster: String = "cluster.yaml"

    mutating func run() throws {
        SignalMonitor.install()
        let spec = try JobSpec.load(path: job)
        let clusterSpec = try ClusterSpec.load(path: cluster)
        try JobExecution.execute(job: spec, cluster: clusterSpec, resume: false)
    }
}

/// `tagood resume`: finish a job after a failure.
struct Resume: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resume",
        abstract: "Re-verify a job's shards and redo the missing, corrupt and failed ones.",
        discussion: """
            Every committed shard is re-verified (it exists, opens, has the planned images and the checksum \
            in the journal); missing, corrupt and failed shards are queued again with a fresh attempt budget \
            and only those run. A job that is already complete is left alone.

            Example:
              tagood resume out/demo
            """
    )

    @Argument(help: "The job directory (<output>/<job>).") var jobDirectory: String

    @Option(help: "The cluster file.") var cluster: String = "cluster.yaml"

    mutating func run() throws {
        SignalMonitor.install()
        let directory = JobDirectory(jobDirectory)
        guard directory.exists else {
            throw ValidationError(
                "\(jobDirectory) is not a job directory (no plan.json); start the job with `tagood launch`")
        }
        let spec = try JobSpec.load(path: directory.jobFile)
        let clusterSpec = try ClusterSpec.load(path: cluster)
        try JobExecution.execute(job: spec, cluster: clusterSpec, resume: true, directory: directory)
    }
}

/// The shared body of launch and resume.
enum JobExecution {
    /// Launches `job`, or resumes it in `directory` (the one the user named).
    static func execute(job: JobSpec, cluster: ClusterSpec, resume: Bool, directory: JobDirectory? = nil) throws {
        var options = JobRunner.Options(executable: currentExecutable())
        options.resume = resume
        let logger = Console.logger("tagood.launch")
        let runner = JobRunner(job: job, cluster: cluster, directory: directory, options: options, logger: logger)
        try runner.bindCoordinator() // a busy port fails before anything is written
        let (plan, reused) = try runner.preparePlan()
        print(
            "job \(job.name): \(Format.count(plan.imageCount)) images in \(plan.shardCount) shards "
                + "(\(plan.datasets.count) datasets, plan \(plan.hash)\(reused ? ", reusing the existing plan" : ""))")
        print("job directory: \(runner.directory.path)")
        let progress = ProgressView(plan: plan, logger: logger)
        let summary = try runner.run(plan: plan, observer: progress.observer)
        progress.finish()
        if summary.nothingToDo {
            print(
                "nothing to do: all \(plan.shardCount) shards are committed and verified (\(summary.audit.verified) checked)"
            )
            return
        }
        let code = JobSummaryPrinter.print(summary, directory: runner.directory)
        if code != 0 { throw ExitCode(code) }
    }
}
