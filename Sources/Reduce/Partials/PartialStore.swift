import Datasets
import Job
import Logging
import TagoodSupport

#if canImport(Glibc)
import Glibc
#endif

/// Where partials live: `reduce/partials/<dataset>/shard-<index>-<file checksum>.bin`
/// (``JobDirectory/partialFile(_:)``). The checksum in the name makes a redone shard (new checksum) get a
/// new partial, and lets a re-run skip every shard whose partial is already there. A partial carries
/// its own checksum (``ArrayFile``), checked on every ``load(_:)``: a damaged one is rebuilt from its shard.
public struct PartialStore: Sendable {
    /// The job directory whose partials these are.
    public let directory: JobDirectory
    /// `<job>/reduce/partials`.
    public var folder: String { directory.partialsFolder }
    /// Where the rebuilding of a damaged partial is said.
    public var logger: Logger
    /// The model of the first partial loaded (its name and shard), which every other must share.
    private let model = Locked<(name: String, shard: String)?>(nil)

    /// The partials of the job directory `directory`.
    public init(
        directory: JobDirectory,
        logger: Logger = Logger(label: "tagood.reduce", factory: { _ in SwiftLogNoOpLogHandler() })
    ) {
        self.directory = directory
        self.logger = logger
    }

    /// The partial file of a shard.
    public func path(of task: CommittedShard) -> String { directory.partialFile(task) }

    /// Whether the shard's partial exists.
    public func has(_ task: CommittedShard) -> Bool { FileSystem.exists(path(of: task)) }

    /// Builds and writes the partial of `task` unless it exists, then deletes the shard's older partials
    /// (other checksums) and temporary files. Returns whether it built one. With `commits`, the partial
    /// is written now and made durable and put in place by the queue (the older ones are deleted then):
    /// it exists once the queue's `finish()` returns.
    @discardableResult
    public func ensure(_ task: CommittedShard, verify: Bool, commits: CommitQueue? = nil) throws(ReduceError) -> Bool {
        let target = path(of: task)
        if FileSystem.exists(target) { return false }
        try Folders.make(directory.partialsFolder(dataset: task.dataset))
        let partial = try ShardPartial.build(from: task, verify: verify)
        let file = partial.arrayFile()
        if let commits {
            commits.commit(temporary: try file.writeTemporary(for: target), to: target) { [self] in
                removeOlderPartials(of: task, keeping: target)
            }
        } else {
            try file.write(to: target)
            removeOlderPartials(of: task, keeping: target)
        }
        return true
    }

    /// Deletes the shard's partials other than `target` (older checksums) and their temporary files.
    private func removeOlderPartials(of task: CommittedShard, keeping target: String) {
        let folder = directory.partialsFolder(dataset: task.dataset)
        for name in FileSystem.list(folder) where name.hasPrefix(JobDirectory.partialNamePrefix(task.id)) {
            let full = folder + "/" + name
            if full != target { unlink(full) }
        }
    }

    /// Reads the partial of `task` and checks its checksum and that it belongs to that shard. A damaged
    /// partial (its checksum, format or shard do not match) is deleted and rebuilt from the shard, which
    /// is checked against its seal and the journal as it is read; a log line says so. Without
    /// `rebuildingDamaged` (the coordinator accepting a worker's partial), a damaged partial is an error.
    public func load(_ task: CommittedShard, rebuildingDamaged: Bool = true) throws(ReduceError) -> ShardPartial {
        do {
            return try loadChecked(task)
        } catch  where rebuildingDamaged && error.kind == .damaged {
            let p = path(of: task)
            logger.warning("partial \(p) is damaged (\(error.message)); rebuilding it from \(task.path)")
            unlink(p)
            try ensure(task, verify: false)
            return try loadChecked(task)
        }
    }

    /// Refuses a partial whose shard another model made than the first partial loaded: centers and scores
    /// from RAM and RAM++ tokens (or two encoders) side by side would mean nothing.
    private func checkModel(_ partial: ShardPartial, of task: CommittedShard) throws(ReduceError) {
        guard let name = partial.modelName else { return }
        let first = model.withLock { first in
            if first == nil { first = (name, task.path) }
            return first!
        }
        guard first.name == name else {
            throw ReduceError(
                .mixedModels,
                "\(task.path) was made by model \(name), but \(first.shard) by \(first.name): a job's shards must come "
                    + "from one model (RAM and RAM++ tokens cannot be compared)",
                remedy: "extract the other datasets again with one model, in a new job directory")
        }
    }

    private func loadChecked(_ task: CommittedShard) throws(ReduceError) -> ShardPartial {
        let p = path(of: task)
        let partial = try ShardPartial(file: try ArrayFile.read(path: p), path: p)
        guard partial.dataset == task.dataset, partial.shardIndex == task.range.index, partial.checksum == task.checksum
        else {
            throw ReduceError(
                .damaged,
                "partial \(p) is for \(partial.dataset)/\(partial.shardIndex) (\(partial.checksum)); delete it and re-run `tagood reduce`"
            )
        }
        try checkModel(partial, of: task)
        return partial
    }

    /// Deletes temporary files a killed reduce left; returns how many.
    @discardableResult
    public func removeTemporaryFiles() -> Int {
        var removed = 0
        for dataset in FileSystem.list(folder) {
            let datasetFolder = directory.partialsFolder(dataset: dataset)
            for name in FileSystem.list(datasetFolder) where AtomicFile.isTemporary(name) {
                if unlink(datasetFolder + "/" + name) == 0 { removed += 1 }
            }
        }
        return removed
    }
}
