import Extract
import Foundation
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
        public var settings: ExtractionSettings
        /// Seconds without any message from the coordinator before the worker gives up.
        public var coordinatorTimeout: Double

        public init(endpoint: String, workerID: String, host: String, pinning: Pinning, threads: Int,
                    jobDirectory: JobDirectory, settings: ExtractionSettings, coordinatorTimeout: Double = 30) {
            self.endpoint = endpoint
            self.workerID = workerID
            self.host = host
            self.pinning = pinning
            self.threads = threads
            self.jobDirectory = jobDirectory
            self.settings = settings
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
    private let log: (String) -> Void
    private var heartbeatSeconds = 1.0
    private var jobID = ""
    /// The staging file of the last `done`, until the coordinator answers again (then it has taken it).
    private var unacknowledgedStaging: String?

    /// An extraction worker: `producer` writes the assigned shards.
    public convenience init(options: Options, producer: ShardProducer, log: @escaping (String) -> Void) throws {
        try self.init(options: options,
                      runner: ExtractionRunner(producer: producer, jobDirectory: options.jobDirectory, settings: options.settings),
                      log: log)
    }

    /// A worker that runs its assignments with `runner`.
    public init(options: Options, runner: any AssignmentRunner, log: @escaping (String) -> Void) throws {
        self.options = options
        self.runner = runner
        self.log = log
        context = ZMQContext()
        socket = try ZMQSocket(context, .dealer)
        try socket.setIdentity(Array(options.workerID.utf8))
        try socket.connect(options.endpoint)
    }

    public func run() -> Exit {
        let pinned: [Int]
        switch options.pinning {
        case .cores(let cores): pinned = cores
        case .gpu(let index): pinned = [index]
        }
        let hello = Hello(workerID: options.workerID, host: options.host, pid: getpid(), device: options.pinning.deviceName,
                          pinned: pinned, threads: options.threads, modelHash: runner.modelHash,
                          tagoodVersion: TagoodVersion.string)
        do {
            try send(.hello(hello))
            guard let reply = try receive(within: options.coordinatorTimeout) else {
                log("no answer from the coordinator at \(options.endpoint) within \(Int(options.coordinatorTimeout)) s; is `tagood launch` running?")
                return .coordinatorLost
            }
            switch reply {
            case .welcome(let welcome):
                heartbeatSeconds = welcome.heartbeatSeconds
                jobID = welcome.jobID
                log("joined job \(welcome.jobID) at \(options.endpoint) as \(options.workerID) (\(options.pinning.deviceName) \(pinned), \(options.threads) threads)")
            case .refused(let refused):
                log("refused by the coordinator: \(refused.reason)")
                return .refused
            default:
                log("unexpected '\(reply.type)' instead of welcome")
                return .failed
            }
            while true {
                try send(.ready)
                guard let message = try receive(within: options.coordinatorTimeout) else {
                    log("the coordinator at \(options.endpoint) stopped answering; exiting")
                    if let staging = unacknowledgedStaging { unlink(staging) }  // nobody will commit it
                    return .coordinatorLost
                }
                unacknowledgedStaging = nil
                switch message {
                case .assign(let assign):
                    if let exit = try work(on: assign) { return exit }
                case .idle(let idle):
                    if let exit = try pause(idle.seconds) { return exit }
                case .shutdown(let shutdown):
                    log("shutdown: \(shutdown.reason)")
                    return .finished
                case .refused(let refused):
                    log("refused by the coordinator: \(refused.reason)")
                    return .refused
                default:
                    log("ignoring unexpected '\(message.type)'")
                }
            }
        } catch let error as TransportError where error.kind == .versionMismatch {
            log("refusing the coordinator: \(error.description)")
            return .refused
        } catch {
            log("worker error: \(error)")
            return .failed
        }
    }

    /// Runs one assignment; returns an exit when the worker must stop.
    private func work(on assign: Assign) throws -> Exit? {
        let started = monotonicSeconds()
        guard assign.kind == runner.task else {
            let hint = runner.task == .reduce ? "without --reduce" : "with --reduce"
            try send(.failed(Failed(shard: assign.shard, attempt: assign.attempt, code: "worker.task",
                                    message: "worker \(options.workerID) runs \(runner.task.rawValue) tasks, not \(assign.kind.rawValue): start it \(hint)")))
            return nil
        }
        let progress = ProgressCounter()
        let box = ResultBox()
        let thread = Thread { [runner, jobID] in
            box.set(Result { try runner.run(assign, jobID: jobID, control: AssignmentControl(progress: progress)) })
        }
        thread.stackSize = 16 << 20
        thread.start()

        var nextBeat = monotonicSeconds() + heartbeatSeconds
        var lastHeard = monotonicSeconds()
        while true {
            if let result = box.get() {
                switch result {
                case .success(let summary):
                    if summary.isStaging { unacknowledgedStaging = options.jobDirectory.resolve(summary.path) }
                    try send(.done(Done(shard: assign.shard, attempt: assign.attempt, temporaryPath: summary.path,
                                        checksum: summary.checksum, images: summary.images, failedImages: summary.failedImages,
                                        tokens: summary.tokens, seconds: monotonicSeconds() - started)))
                case .failure(let error as ProducerCancelled):
                    _ = error
                    return .finished
                case .failure(let error):
                    let code = (error as? TagoodError)?.code ?? "worker.error"
                    try send(.failed(Failed(shard: assign.shard, attempt: assign.attempt, code: code, message: "\(error)")))
                }
                return nil
            }
            let now = monotonicSeconds()
            if now >= nextBeat {
                try send(.heartbeat(Heartbeat(shard: assign.shard, attempt: assign.attempt, imagesDone: progress.current)))
                nextBeat = now + heartbeatSeconds
            }
            // Listen while working: the coordinator may tell us to stop.
            if let frames = try socket.receive(timeoutMilliseconds: 20), let frame = frames.last {
                lastHeard = monotonicSeconds()
                let message = try ProtocolMessage(decoding: frame)
                if case .shutdown(let shutdown) = message {
                    log("shutdown while working on \(assign.shard): \(shutdown.reason); abandoning it")
                    progress.cancel()
                    while box.get() == nil { usleep(10_000) }
                    return .finished
                }
            }
            _ = lastHeard
        }
    }

    /// Waits `seconds` (answering nothing), returning an exit if told to stop.
    private func pause(_ seconds: Double) throws -> Exit? {
        let until = monotonicSeconds() + seconds
        while monotonicSeconds() < until {
            if let frames = try socket.receive(timeoutMilliseconds: 50), let frame = frames.last,
               case .shutdown(let shutdown) = try ProtocolMessage(decoding: frame) {
                log("shutdown: \(shutdown.reason)")
                return .finished
            }
        }
        return nil
    }

    private func send(_ message: ProtocolMessage) throws {
        try socket.send([message.encoded()])
    }

    private func receive(within seconds: Double) throws -> ProtocolMessage? {
        guard let frames = try socket.receive(timeoutMilliseconds: Int(seconds * 1000)), let frame = frames.last else { return nil }
        return try ProtocolMessage(decoding: frame)
    }
}

/// The runner thread's result, handed to the socket thread.
private final class ResultBox: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Result<AssignmentResult, Error>?

    func set(_ result: Result<AssignmentResult, Error>) {
        lock.lock(); defer { lock.unlock() }
        value = result
    }

    func get() -> Result<AssignmentResult, Error>? {
        lock.lock(); defer { lock.unlock() }
        return value
    }
}
