import Cluster
import Datasets
import Foundation
import Transport

/// `tagood worker --reduce`: builds the partial of each assigned shard into `<job>/reduce/partials`.
public final class PartialRunner: AssignmentRunner {
    public let jobDirectory: JobDirectory
    /// Whether to verify each shard's checksums before reading it.
    public let verify: Bool
    private let delayMilliseconds: Int

    /// A runner for the job in `jobDirectory`. `TAGOOD_FAILPOINTS=delay-per-shard-ms=<n>` (tests only)
    /// makes it sleep `n` ms, cancellably, before each shard.
    public init(jobDirectory: JobDirectory, verify: Bool) {
        self.jobDirectory = jobDirectory
        self.verify = verify
        delayMilliseconds = Self.failpointDelay()
    }

    public var task: Assign.Task { .reduce }
    /// Partials do not depend on the model.
    public var modelHash: String { "reduce" }

    public func run(_ assign: Assign, jobID: String, control: AssignmentControl) throws -> AssignmentResult {
        guard let checksum = assign.checksum, !checksum.isEmpty else {
            throw ReduceError(.cluster, "the reduce assignment of \(assign.shard) has no shard checksum; is the coordinator a newer tagood?")
        }
        let task = ShardTask(dataset: assign.shard.dataset, role: DatasetRole(rawValue: assign.role) ?? .ood,
                             range: ShardRange(index: assign.shard.index, start: assign.start, count: assign.count),
                             path: jobDirectory.resolve(assign.path), checksum: checksum, planHash: assign.datasetHash)
        var waited = 0
        while waited < delayMilliseconds {
            try control.checkCancelled()
            usleep(10_000)
            waited += 10
        }
        try control.checkCancelled()
        let store = PartialStore(folder: jobDirectory.path + "/reduce/partials")
        try store.ensure(task, verify: verify)
        control.add(images: assign.count)
        let relative = String(store.path(of: task).dropFirst(jobDirectory.path.count + 1))
        return AssignmentResult(path: relative, isStaging: false, checksum: checksum, images: assign.count, failedImages: 0, tokens: 0)
    }

    private static func failpointDelay() -> Int {
        guard let raw = ProcessInfo.processInfo.environment["TAGOOD_FAILPOINTS"] else { return 0 }
        for item in raw.split(separator: ",") {
            let parts = item.split(separator: "=", maxSplits: 1).map(String.init)
            if parts.count == 2, parts[0] == "delay-per-shard-ms" { return Int(parts[1]) ?? 0 }
        }
        return 0
    }
}
