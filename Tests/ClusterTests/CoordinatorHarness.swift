import Datasets
import Extract
import Foundation
import Job
import Shards
import TagoodSupport
import TagoodTestSupport
import Transport

@testable import Cluster
@testable import Coordination

/// A coordinator driven in process: a real job directory with a real plan and journal, real HDF5 staging
/// files written by the test in the workers' place, messages fed one at a time and a clock moved by hand.
/// No process, no socket, no sleep.
final class CoordinatorHarness {
    let dir: TemporaryDirectory
    let directory: JobDirectory
    let plan: ShardPlan
    let time = ManualTime()
    let maxAttempts: Int
    let maxWorkers: Int
    let stallSeconds: Double
    private(set) var coordinator: Coordinator
    private(set) var events: [CoordinatorEvent] = []

    static let heartbeat = 1.0, liveness = 3

    /// A job of `shards` shards of two images each, in one OOD dataset.
    init(shards: Int = 3, maxAttempts: Int = 3, maxWorkers: Int = .max, stallSeconds: Double = 600) throws {
        self.maxWorkers = maxWorkers
        self.stallSeconds = stallSeconds
        dir = try TemporaryDirectory(prefix: "tagood-coordinator")
        directory = JobDirectory(dir.path + "/job")
        let paths = (0..<(2 * shards)).map { "img\(ShardRange.padded($0)).png" }
        let spec = DatasetSpec(name: "far", role: .ood, layout: .nested, root: dir.path + "/data")
        let dataset = try ShardPlan.plan(
            spec, images: ImageList(paths: paths, labels: paths.map { _ in -1 }), imagesPerShard: 2)
        plan = try ShardPlan(imagesPerShard: 2, datasets: [dataset])
        try directory.create(for: plan)
        try plan.write(to: directory.planFile)
        self.maxAttempts = maxAttempts
        coordinator = try Self.makeCoordinator(
            directory: directory, plan: plan, time: time, maxAttempts: maxAttempts,
            maxWorkers: maxWorkers, stallSeconds: stallSeconds, resume: false)
        coordinator.onEvent = { [unowned self] in events.append($0) }
    }

    /// The job's identity, which every shard the harness's workers write carries.
    static let identity = JobIdentity(jobID: "job", modelHash: DecodeOnlyProducer.modelHash)

    static func makeCoordinator(
        directory: JobDirectory, plan: ShardPlan, time: ManualTime, maxAttempts: Int,
        maxWorkers: Int = .max, stallSeconds: Double = 600, resume: Bool
    ) throws -> Coordinator {
        try Coordinator(
            tasks: ExtractionTasks(directory: directory, plan: plan, identity: identity),
            journal: Journal(path: directory.journalFile),
            settings: .init(
                jobID: "job", heartbeatSeconds: heartbeat, liveness: liveness, maxAttempts: maxAttempts,
                graceSeconds: 5, expectedModelHash: DecodeOnlyProducer.modelHash, resume: resume,
                planHash: plan.hash, maxWorkers: maxWorkers, stallSeconds: stallSeconds),
            time: time)
    }

    /// A new coordinator on the same directory, as after a crash of the old one (its memory is gone;
    /// the journal and the files stay), started.
    func restart(resume: Bool = false) throws {
        coordinator = try Self.makeCoordinator(
            directory: directory, plan: plan, time: time, maxAttempts: maxAttempts,
            maxWorkers: maxWorkers, stallSeconds: stallSeconds, resume: resume)
        coordinator.onEvent = { [unowned self] in events.append($0) }
        try coordinator.start()
        _ = try coordinator.flush()
    }

    var shards: [ShardID] { plan.shardIDs }
    var records: [JournalRecord] { (try? Journal.read(path: directory.journalFile)) ?? [] }

    /// Feeds `message` from `worker`; returns the replies to that worker once the journal is durable.
    @discardableResult
    func send(_ message: ProtocolMessage, from worker: String) throws -> [ProtocolMessage] {
        try coordinator.handle(message, from: Array(worker.utf8))
        return try flush(for: worker)
    }

    /// Flushes; returns the replies to `worker`.
    func flush(for worker: String) throws -> [ProtocolMessage] {
        try coordinator.flush().filter { $0.peer == Array(worker.utf8) }.map(\.message)
    }

    /// `hello` from a decode-only worker.
    func join(_ worker: String) throws {
        let replies = try send(
            .hello(
                ProtocolMessage.Hello(
                    workerID: worker, host: "test", pid: 1, device: "cpu", pinned: [0], threads: 1,
                    modelHash: DecodeOnlyProducer.modelHash, tagoodVersion: TagoodVersion.string)), from: worker)
        guard case .welcome? = replies.first else { throw HarnessError("\(worker) was not welcomed: \(replies)") }
    }

    /// Starts the run, joins `worker` and returns the first assignment it gets.
    func startWithFirstAssignment(to worker: String = "w1") throws -> ProtocolMessage.Assign {
        try coordinator.start()
        try join(worker)
        guard let assign = try ready(worker) else { throw HarnessError("\(worker) got no assignment") }
        return assign
    }

    /// `ready` from `worker`; returns its assignment, if it got one.
    func ready(_ worker: String) throws -> ProtocolMessage.Assign? {
        for reply in try send(.ready, from: worker) { if case .assign(let a) = reply { return a } }
        return nil
    }

    /// Writes the staging file of `assign` as `worker` would, and returns the `done` it would send.
    func complete(
        _ assign: ProtocolMessage.Assign, as worker: String,
        forging: (inout ShardMetadata, inout [String]) -> Void = { _, _ in }
    ) throws -> ProtocolMessage.Done {
        guard case .extract(let task) = assign.task else { throw HarnessError("not an extraction") }
        var metadata = ShardMetadata(
            jobID: "job", datasetHash: task.datasetHash, shardIndex: assign.shard.index, dataset: assign.shard.dataset,
            role: task.role, modelName: "decode-only", modelHash: DecodeOnlyProducer.modelHash, preprocessing: "none",
            tagThreshold: 0.5, attentionThreshold: 0.5, embedDim: 4, imageTokens: 3)
        var paths = task.paths
        forging(&metadata, &paths)
        let writer = try ShardWriter(
            stagingPath: directory.stagingFile(assign.shard, attempt: assign.attempt, worker: worker),
            metadata: metadata)
        for (path, label) in zip(paths, task.labels) {
            try writer.append(.failed(path: path, label: label, status: .unreadable, error: "the test wrote no pixels"))
        }
        let summary = try writer.commit()
        return ProtocolMessage.Done(
            shard: assign.shard, attempt: assign.attempt, resultChecksum: summary.fileChecksum, images: summary.images,
            failedImages: summary.failedImages, tokens: summary.tokens, seconds: 0.1)
    }

    /// Runs the coordinator's housekeeping (lease expiry, the end of the run); returns the outcome if over.
    func tick() throws -> Coordinator.Outcome? {
        let outcome = try coordinator.finishIfDone()
        _ = try coordinator.flush()
        return outcome
    }

    /// A worker that takes every shard it is offered and completes it, until the run is over.
    func drain(with worker: String = "finisher") throws -> Coordinator.Outcome {
        try join(worker)
        for _ in 0..<(10 * shards.count) {
            if let outcome = try tick() { return outcome }
            guard let assign = try ready(worker) else { continue }
            try send(.done(try complete(assign, as: worker)), from: worker)
        }
        throw HarnessError("the run did not end")
    }

    /// Whether a new coordinator (resuming or not) finishes the job with every image in exactly one shard.
    func finishesExactlyOnce(resume: Bool = false) throws -> Bool {
        try restart(resume: resume)
        return try drain() == .complete && committedImages() == plannedImages
    }

    /// The paths in every committed shard file, in plan order (each file verified in full).
    func committedImages() throws -> [String] {
        var seen: [String] = []
        for shard in plan.plannedShards {
            let path = directory.shardFile(shard.id)
            guard FileSystem.exists(path) else { continue }
            _ = try ShardAudit.verify(
                path: path, shard: shard, plan: plan, identity: Self.identity, checksum: nil, content: true)
            let reader = try ShardReader(path: path)
            try reader.forEach { seen.append($0.path) }
            reader.close()
        }
        return seen
    }

    /// Removes the journal's last record, as if the coordinator died before it reached the disk; returns it.
    @discardableResult
    func dropLastJournalRecord() throws -> String {
        let lines = try FileBytes.read(directory.journalFile).split(separator: UInt8(ascii: "\n"))
        try AtomicFile.write(
            Array(lines.dropLast().joined(separator: [UInt8(ascii: "\n")])) + [UInt8(ascii: "\n")],
            to: directory.journalFile)
        return String(decoding: lines.last ?? [], as: UTF8.self)
    }

    /// Every planned image, in plan order.
    var plannedImages: [String] { plan.datasets[0].images.paths }

    /// Staging and temporary files under `shards/`.
    var leftovers: [String] { FileSystem.list(directory.shardsFolder + "/far").filter { AtomicFile.isTemporary($0) } }

    struct HarnessError: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }
}
