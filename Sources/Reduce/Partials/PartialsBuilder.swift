import Job
import Logging
import TagoodSupport

/// Who builds the partials a reduce is missing: local threads (``LocalPartialsBuilder``, the default) or
/// a cluster's workers (`ClusterPartialsBuilder` in the Cluster module, `tagood reduce --cluster`). The
/// merge and the scores that follow are the same either way.
public protocol PartialsBuilder: Sendable {
    /// Where the partials are built, for progress lines (`4 threads`, `2 cluster workers`).
    var description: String { get }
    /// Builds the partial of every shard of `todo` into `directory.partialsFolder`; throws unless every
    /// one was built.
    func build(_ todo: [CommittedShard], directory: JobDirectory, verify: Bool, logger: Logger) throws(ReduceError)
}

/// Builds partials on this process's threads.
public struct LocalPartialsBuilder: PartialsBuilder {
    public var threads: Int

    public init(threads: Int) { self.threads = threads }

    public var description: String { "\(threads) threads" }

    /// Each thread reads a shard and writes its partial; a ``CommitQueue`` syncs and renames the partials
    /// meanwhile, so that no thread waits for the disk.
    public func build(
        _ todo: [CommittedShard], directory: JobDirectory, verify: Bool, logger: Logger
    ) throws(ReduceError) {
        let store = PartialStore(directory: directory)
        let counter = ProgressCounter()
        let commits = CommitQueue()
        // The queue is drained whatever happens; a failed shard's error comes first.
        let built = Result { () throws in
            try ParallelFor.run(count: todo.count, threads: threads) { i in
                let shard = todo[i]
                try store.ensure(shard, verify: verify, commits: commits)
                let (done, total) = counter.add(1, bytes: FileSystem.size(shard.path) ?? 0)
                if done == todo.count || done % max(5, todo.count / 10) == 0 {
                    logger.info("partials: \(done)/\(todo.count) shards read (\(total / 1_000_000) MB)")
                }
            }
        }
        let committed = Result { () throws(FileError) in try commits.finish() }
        do {
            try built.get()
        } catch let error as ReduceError {
            throw error
        } catch {
            throw ReduceError(.shard, "\(error)")
        }
        do { try committed.get() } catch {
            throw ReduceError.writing(directory.partialsFolder, error)
        }
    }
}
