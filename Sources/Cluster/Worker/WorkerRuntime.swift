import Coordination
import Extract
import Foundation
import Job
import Launch
import Logging
import Shards
import TagoodSupport
import Transport

/// A worker process's main loop: says hello, asks for shards, runs each assignment (its
/// ``AssignmentRunner``: extraction by default, reduce partials with `--reduce`) on a thread of its own,
/// heartbeats while it works, and reports the result.
///
/// All socket I/O happens on the thread that calls ``run()``; the runner only touches its
/// ``ProgressCounter``. A worker that hears nothing from the coordinator for `coordinatorTimeout`
/// seconds exits, so workers of a killed coordinator do not linger.
public final class WorkerRuntime {
    public struct Options: Sendable {
        public var endpoint: String
        public var workerID: String
        public var host: String
        public var pinning: Pinning
        public var threads: Int
        public var jobDirectory: JobDirectory
        /// The job's worker credential: the coordinator's key and this worker's keys (CURVE).
        public var credential: WorkerCredential
        /// Seconds without any message from the coordinator before the worker gives up.
        public var coordinatorTimeout: Double

        /// What every worker needs, whatever its task kind (a kind's own settings go to its runner, such as
        /// ``ExtractionRunner``'s ``ExtractionSettings``).
        public init(
            endpoint: String, workerID: String, host: String, pinning: Pinning, threads: Int,
            jobDirectory: JobDirectory, credential: WorkerCredential, coordinatorTimeout: Double = 30
        ) {
            self.credential = credential
            self.endpoint = endpoint
            self.workerID = workerID
            self.host = host
            self.pinning = pinning
            self.threads = threads
            self.jobDirectory = jobDirectory
            self.coordinatorTimeout = coordinatorTimeout
        }
    }

    /// How the worker ended.
    public enum Exit: Int32, Sendable {
        case finished = 0
        case refused = 2
        case coordinatorLost = 3
        case failed = 1
    }

    private let options: Options
    private let runner: any AssignmentRunner
    private let socket: ZMQSocket
    private let context: ZMQContext
    private var logger: Logger
    private var heartbeatSeconds = 1.0
    private var jobID = ""
    /// The staging file of the last `done`, until the coordinator answers again (then it has taken it).
    private var unacknowledgedStaging: String?

    /// An extraction worker: `producer` writes the assigned shards with the job's extraction `settings`.
    public convenience init(
        options: Options, producer: ShardProducer, settings: ExtractionSettings,
        logger: Logger
    ) throws {
        let runner = ExtractionRunner(producer: producer, jobDirectory: options.jobDirectory, settings: settings)
        try self.init(options: options, runner: runner, logger: logger)
    }

    /// A worker that runs its assignments with `runner`.
    public init(options: Options, runner: any AssignmentRunner, logger: Logger) throws {
        self.options = options
        self.runner = runner
        var logger = logger
        logger[metadataKey: "worker"] = "\(options.workerID)"
        self.logger = logger
        context = ZMQContext()
        socket = try ZMQSocket(context, .dealer)
        try socket.setIdentity(Array(options.workerID.utf8))
        try socket.enableCurve(options.credential.curveRole)
        try socket.connect(options.endpoint)
    }

    public func run() -> Exit {
        let pinned = options.pinning.cores ?? []
        let hello = ProtocolMessage.Hello(
            workerID: options.workerID, host: options.host, pid: getpid(),
            device: runner.device ?? options.pinning.deviceName,
            pinned: pinned, threads: options.threads, modelHash: runner.modelHash,
            tagoodVersion: TagoodVersion.string)
        do {
            try send(.hello(hello))
            guard let reply = try receive(within: options.coordinatorTimeout) else {
                logger.info(
                    "no answer from the coordinator at \(options.endpoint) within \(Int(options.coordinatorTimeout)) s; is `tagood launch` running, and is this worker's credential the job's current keys/worker.key? (a coordinator answers nobody whose keys it does not know)"
                )
                return .coordinatorLost
            }
            switch reply {
            case .welcome(let welcome):
                heartbeatSeconds = welcome.heartbeatSeconds
                jobID = welcome.jobID
                logger[metadataKey: "job"] = "\(welcome.jobID)"
                logger.info(
                    "joined job \(welcome.jobID) at \(options.endpoint) as \(options.workerID) (\(runner.device ?? options.pinning.deviceName), \(pinned.isEmpty ? "threads not pinned" : "cores " + CoreSet.format(pinned)), \(options.threads) threads)"
                )
            case .refused(let refused):
                logger.info("refused by the coordinator: \(refused.reason)")
                return .refused
            default:
                logger.info("unexpected '\(reply.type)' instead of welcome")
                return .failed
            }
            while true {
                try send(.ready)
                guard let message = try receive(within: options.coordinatorTimeout) else {
                    logger.info("the coordinator at \(options.endpoint) stopped answering; exiting")
                    if let staging = unacknowledgedStaging { unlink(staging) } // nobody will commit it
                    return .coordinatorLost
                }
                unacknowledgedStaging = nil
                switch message {
                case .assign(let assign):
                    if let exit = try work(on: assign) { return exit }
                case .idle(let idle):
                    if let exit = try pause(idle.seconds) { return exit }
                case .shutdown(let shutdown):
                    logger.info("shutdown: \(shutdown.reason)")
                    return .finished
                case .refused(let refused) where refused.rejoin == true:
                    // Presumed dead (a partition outlasted the lease) or a new coordinator: join again.
                    logger.info(
                        "the coordinator does not know this worker any more (\(refused.reason)); saying hello again")
                    try send(.hello(hello))
                    guard case .welcome? = try receive(within: options.coordinatorTimeout) else {
                        logger.info("not welcomed back by the coordinator at \(options.endpoint); exiting")
                        return .refused
                    }
                case .refused(let refused):
                    logger.info("refused by the coordinator: \(refused.reason)")
                    return .refused
                default:
                    logger.info("ignoring unexpected '\(message.type)'")
                }
            }
        } catch let error as TransportError where error.kind == .versionMismatch {
            logger.info("refusing the coordinator: \(error.description)")
            return .refused
        } catch {
            logger.info("worker error: \(error)")
            return .failed
        }
    }

    /// Runs one assignment; returns an exit when the worker must stop.
    private func work(on assign: ProtocolMessage.Assign) throws -> Exit? {
        let started = monotonicSeconds()
        var logger = self.logger
        logger[metadataKey: "shard"] = "\(assign.shard)"
        logger[metadataKey: "attempt"] = "\(assign.attempt)"
        guard assign.task.kind == runner.kind else {
            try send(
                .failed(
                    ProtocolMessage.Failed(
                        shard: assign.shard, attempt: assign.attempt, code: ClusterError(.task, "").code,
                        message:
                            "worker \(options.workerID) runs \(runner.kind.rawValue) tasks, not \(assign.task.kind.rawValue): start it \(ClusterTasks.hint(for: assign.task.kind))"
                    )))
            return nil
        }
        let progress = ProgressCounter()
        let box = Locked<Result<AssignmentResult, any Error>?>(nil)
        let thread = Thread { [runner, jobID, workerID = options.workerID] in
            let result = Result {
                try runner.run(assign, jobID: jobID, worker: workerID, control: AssignmentControl(progress: progress))
            }
            box.withLock { $0 = result }
        }
        thread.stackSize = 16 << 20
        thread.start()

        var nextBeat = monotonicSeconds() + heartbeatSeconds
        while true {
            if let result = box.value {
                switch result {
                case .success(let summary):
                    unacknowledgedStaging = summary.stagingFile
                    try send(
                        .done(
                            ProtocolMessage.Done(
                                shard: assign.shard, attempt: assign.attempt, resultChecksum: summary.resultChecksum,
                                images: summary.images, failedImages: summary.failedImages,
                                tokens: summary.tokens, seconds: monotonicSeconds() - started)))
                case .failure(let error as ProducerCancelled):
                    _ = error
                    return .finished
                case .failure(let error):
                    logger.error("attempt failed: \(error)") // the whole error, HDF5 stack and all, in the worker's log
                    if let full = StorageCheck.diskFull(after: error, folder: runner.outputFolder) {
                        try send(
                            .failed(
                                ProtocolMessage.Failed(
                                    shard: assign.shard, attempt: assign.attempt, code: JournalRecord.diskFullCode,
                                    message: full)))
                    } else {
                        let code = (error as? TagoodError)?.code ?? "worker.error"
                        try send(
                            .failed(
                                ProtocolMessage.Failed(
                                    shard: assign.shard, attempt: assign.attempt, code: code,
                                    message: Self.oneLine(error))))
                    }
                }
                return nil
            }
            let now = monotonicSeconds()
            if now >= nextBeat {
                try send(
                    .heartbeat(
                        ProtocolMessage.Heartbeat(
                            shard: assign.shard, attempt: assign.attempt, imagesDone: progress.current)))
                nextBeat = now + heartbeatSeconds
            }
            // Listen while working: the coordinator may tell us to stop.
            if let frames = try socket.receive(timeoutMilliseconds: 20), let frame = frames.last {
                let message = try ProtocolMessage(decoding: frame)
                if case .shutdown(let shutdown) = message {
                    logger.info("shutdown while working on \(assign.shard): \(shutdown.reason); abandoning it")
                    progress.cancel()
                    while box.value == nil { usleep(10_000) }
                    return .finished
                }
            }
        }
    }

    /// Waits `seconds` (answering nothing), returning an exit if told to stop.
    private func pause(_ seconds: Double) throws -> Exit? {
        let until = monotonicSeconds() + seconds
        while monotonicSeconds() < until {
            if let frames = try socket.receive(timeoutMilliseconds: 50), let frame = frames.last,
                case .shutdown(let shutdown) = try ProtocolMessage(decoding: frame)
            {
                logger.info("shutdown: \(shutdown.reason)")
                return .finished
            }
        }
        return nil
    }

    private func send(_ message: ProtocolMessage) throws {
        try socket.send([message.encoded()])
    }

    private func receive(within seconds: Double) throws -> ProtocolMessage? {
        guard let frames = try socket.receive(timeoutMilliseconds: Int(seconds * 1000)), let frame = frames.last else {
            return nil
        }
        return try ProtocolMessage(decoding: frame)
    }

    /// An error as one readable line for the journal and the coordinator (at most 400 characters; the
    /// worker's log has the whole text).
    static func oneLine(_ error: any Error) -> String {
        let first =
            "\(error)".split(separator: "\n", omittingEmptySubsequences: true).first.map(String.init) ?? "\(error)"
        return first.count > 400 ? String(first.prefix(399)) + "…" : first
    }
}
