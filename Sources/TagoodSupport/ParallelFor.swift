import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A one-off parallel loop on a ``WorkerPool`` of its own: for millisecond-scale items (shards, score
/// blocks) where starting the threads costs nothing next to the work.
public enum ParallelFor {
    /// Calls `body(i)` for every i in `0..<count` on `threads` threads (the calling thread alone when
    /// `threads` is 1 or there is one item), and returns when all are done. After a failure no new item
    /// starts; the error of the lowest failing index is thrown. What each item computes must not depend
    /// on which thread runs it.
    public static func run(count: Int, threads: Int, _ body: (Int) throws -> Void) throws {
        guard count > 0 else { return }
        let pool = WorkerPool(threads: max(1, min(threads, count)))
        defer { pool.stop() }
        try pool.forEach(count, body)
    }

    /// The number of cores this process may use.
    public static var defaultThreads: Int { max(1, ProcessInfo.processInfo.activeProcessorCount) }
}
