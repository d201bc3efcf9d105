import ArgumentParser
import CAffinity
import Cluster
import Coordination
import Extract
import Foundation
import Job
import Launch
import Reduce
import TagoodSupport

/// `tagood worker`: one worker process (normally started by `launch`, or by ssh/Slurm).
struct WorkerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Run one worker: connect to a coordinator and extract the shards it assigns.",
        discussion: """
            A CPU worker pins the whole process (every thread, OpenBLAS's included) to its core set and sizes \
            its threads to it. A GPU worker (--gpu N) exports CUDA_VISIBLE_DEVICES=N and runs RAM on that GPU \
            through libtagood_cuda (`make gpu` builds it), with its decode threads on --cores when given; \
            --gpu inherit keeps the GPU the environment names (Slurm's gres). A GPU worker whose library or \
            device is missing stops at once and says which; it never falls back to the CPU. `tagood launch` \
            starts workers itself; run this by hand (or from ssh/Slurm) to add workers on other machines that \
            see the job directory.

            The coordinator answers only workers that hold the job's credential (CURVE keys): by default \
            <job>/keys/worker.key, which `launch` makes. On a node that does not see the job directory, copy \
            that file there (mode 0600) and give --credential FILE, or put its text in an environment variable \
            and give --credential-env NAME (or set TAGOOD_WORKER_CREDENTIAL).

            Example:
              tagood worker --connect tcp://10.0.0.1:5555 --cores 0-3 --job /shared/out/imagenet-val
            """
    )

    @Option(help: "The coordinator's endpoint, tcp://HOST:PORT.") var connect: String

    @Option(
        help: """
            CPU cores to pin to, e.g. 0-3 or 0,2; `inherit` keeps the cores this process was given (Slurm's). \
            With --gpu: the cores of the decode threads.
            """)
    var cores: String?

    @OptionGroup var gpuOptions: GPUOptions

    @Option(help: "Threads (default: the number of cores).") var threads: Int?

    @Option(help: "The job directory (its job.yaml says which model and settings to use).") var job: String

    @Option(
        help: ArgumentHelp(
            "The worker credential file (0600), for nodes that do not see the job directory's keys/worker.key.",
            valueName: "file"))
    var credential: String?

    @Option(
        help: ArgumentHelp(
            "An environment variable that holds the worker credential's text (instead of a file).",
            valueName: "name"))
    var credentialEnv: String?

    @Option(help: "Seconds without a word from the coordinator before giving up.") var coordinatorTimeout: Double = 30

    @Option(help: ArgumentHelp("Exit when this process (the local coordinator) dies.", visibility: .hidden))
    var parent: Int32?

    @Flag(help: "Build reduce partials (for `tagood reduce --cluster`) instead of extracting shards; needs no model.")
    var reduce = false

    @Flag(help: ArgumentHelp("With --reduce: verify each shard's checksums before reading it.", visibility: .hidden))
    var verify = false

    mutating func validate() throws {
        let gpu = gpuOptions.gpu
        guard cores != nil || gpu != nil else { throw ValidationError("give --cores, --gpu, or both") }
        if let cores, cores != "inherit", CoreSet.parse(cores) == nil {
            throw ValidationError("--cores '\(cores)' is not a core list such as 0-3 (or `inherit`)")
        }
        if reduce, gpu != nil { throw ValidationError("--reduce workers run on the CPU: give --cores, not --gpu") }
    }

    mutating func run() throws {
        if let marker = Failpoints.text("worker-exit-once"), open(marker, O_WRONLY | O_CREAT | O_EXCL, 0o644) >= 0 {
            FileHandle.standardError.write(Data("failpoint worker-exit-once: exiting at start\n".utf8))
            throw ExitCode(3)
        }
        if let parent, tagood_exit_with_parent(parent) == 0 {
            throw ValidationError("the coordinator (pid \(parent)) is gone")
        }
        let coreList = cores == "inherit" ? CoreSet.available() : cores.flatMap(CoreSet.parse)
        let pinning: Pinning =
            gpuOptions.gpu != nil ? .gpu(gpuOptions.index, cores: coreList) : .cores(coreList ?? [])
        let threadCount = threads ?? coreList?.count ?? 4
        try pinning.apply(threads: threadCount)
        // A GPU worker finds its library and device before anything slow (the weights): when either is
        // missing it stops now, saying which.
        let makeBackend = try gpuOptions.backendMaker()
        let directory = JobDirectory(job)
        var environment = ProcessInfo.processInfo.environment
        if let credentialEnv {
            guard let text = environment[credentialEnv] else {
                throw ValidationError(
                    "--credential-env \(credentialEnv): the environment has no variable \(credentialEnv)")
            }
            environment = [WorkerCredential.environmentVariable: text]
        }
        let credential = try WorkerCredential.resolve(
            file: self.credential, environment: environment, directory: directory)
        let hostname = ProcessIdentity.hostname
        let logger = Console.logger("tagood.worker", stream: .stderr, prefix: "[worker \(getpid())]")
        let options = WorkerRuntime.Options(
            endpoint: connect, workerID: ProcessIdentity.workerID, host: hostname, pinning: pinning,
            threads: threadCount, jobDirectory: directory, credential: credential,
            coordinatorTimeout: coordinatorTimeout)
        let runtime: WorkerRuntime
        if reduce {
            runtime = try WorkerRuntime(
                options: options, runner: ReduceRunner(jobDirectory: directory, verify: verify),
                logger: logger)
        } else {
            let spec = try JobSpec.load(path: directory.jobFile)
            runtime = try WorkerRuntime(
                options: options, producer: try Self.producer(spec, directory: directory, makeBackend: makeBackend),
                settings: spec.extract, logger: logger)
        }
        let exit = runtime.run()
        if exit != .finished { throw ExitCode(exit.rawValue) }
    }

    /// The extraction worker's producer: the job's model, or none for a decode-only job.
    private static func producer(
        _ spec: JobSpec, directory: JobDirectory, makeBackend: @escaping ModelProducer.BackendMaker
    ) throws
        -> ShardProducer
    {
        if spec.isDecodeOnly { return DecodeOnlyProducer(settings: spec.extract) }
        guard let classTags = spec.classTags else {
            throw ValidationError("\(directory.jobFile) has no class_tags: the model needs the ID tag set")
        }
        return try ModelProducer.load(
            config: spec.model.config, weights: spec.model.weights, tags: spec.model.tags,
            classTags: classTags, settings: spec.extract, makeBackend: makeBackend)
    }
}
