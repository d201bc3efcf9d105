import Extract
import Job
import TagoodSupport
import Transport

/// Runs one kind of assignment in a worker (``ExtractionRunner`` for shards; the reducer's partials for
/// `tagood worker --reduce`). ``WorkerRuntime`` calls ``run(_:jobID:control:)`` on a thread of its own
/// while its socket thread heartbeats; the runner only touches `control`.
public protocol AssignmentRunner: AnyObject, Sendable {
    /// The kind of task it runs; the worker fails assignments of another kind.
    var kind: TaskKind { get }
    /// Where its results are written (checked for free space when a write fails).
    var outputFolder: String { get }
    /// The hash the worker reports at `hello` (the coordinator may refuse a different model).
    var modelHash: String { get }
    /// Where it computes, for `hello` and `status` (`cpu`, `cuda:0 NVIDIA H100 …`), or nil to
    /// report the worker's pinning.
    var device: String? { get }
    /// Runs `assign` of job `jobID` as worker `worker`. Calls `control.checkCancelled()` often, which
    /// throws once the worker was told to stop (after which the runner abandons its files).
    func run(
        _ assign: ProtocolMessage.Assign, jobID: String, worker: String, control: AssignmentControl
    ) throws -> AssignmentResult
}

extension AssignmentRunner {
    public var device: String? { nil }
}

/// What a finished assignment reports in its `done`.
public struct AssignmentResult: Sendable {
    /// The attempt's staging file, which nobody takes over if the coordinator is lost (the worker then
    /// deletes it); nil when the result is shared and content-addressed (a reduce partial).
    public var stagingFile: String?
    /// What the `done` carries as ``ProtocolMessage/Done/resultChecksum``: the staged shard's file checksum,
    /// or for a reduce partial the checksum of the shard it was made from.
    public var resultChecksum: String
    public var images: Int
    public var failedImages: Int
    public var tokens: Int

    public init(stagingFile: String?, resultChecksum: String, images: Int, failedImages: Int, tokens: Int) {
        self.stagingFile = stagingFile
        self.resultChecksum = resultChecksum
        self.images = images
        self.failedImages = failedImages
        self.tokens = tokens
    }
}

/// The runner's side of a running assignment: progress for the heartbeats, and cancellation.
public struct AssignmentControl: Sendable {
    /// The counter the worker heartbeats from.
    public let progress: ProgressCounter

    public init(progress: ProgressCounter) { self.progress = progress }

    /// Adds finished images to the progress.
    public func add(images: Int) { progress.add(images) }

    /// Whether the worker was told to stop.
    public var isCancelled: Bool { progress.isCancelled }

    /// Throws ``ProducerCancelled`` once the worker was told to stop.
    public func checkCancelled() throws {
        if progress.isCancelled { throw ProducerCancelled() }
    }
}
