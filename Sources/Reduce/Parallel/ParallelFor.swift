import Foundation

/// Runs independent work items on dedicated threads (never the Swift concurrency pool, which is two
/// threads wide here). Items are handed out in index order; what each item computes must not depend on
/// which thread runs it.
public enum ParallelFor {
    /// Calls `body(i)` for every i in `0..<count` on `threads` threads (the calling thread alone when
    /// `threads` is 1 or there is one item), and returns when all are done. After a failure no new item
    /// starts; the error of the lowest failing index is thrown.
    public static func run(count: Int, threads: Int, _ body: @escaping @Sendable (Int) throws -> Void) throws {
        guard count > 0 else { return }
        let workers = max(1, min(threads, count))
        if workers == 1 {
            for i in 0..<count { try body(i) }
            return
        }
        let state = SharedState()
        let group = DispatchGroup()
        for _ in 0..<workers {
            group.enter()
            let thread = Thread {
                defer { group.leave() }
                while let i = state.take(limit: count) {
                    do { try body(i) } catch { state.fail(i, error) }
                }
            }
            thread.stackSize = 8 << 20
            thread.start()
        }
        group.wait()
        if let error = state.firstError { throw error }
    }

    /// The next index, the failure flag and the first error, behind one lock.
    private final class SharedState: @unchecked Sendable {
        private let lock = NSLock()
        private var next = 0
        private var failures: [(Int, any Error)] = []

        func take(limit: Int) -> Int? {
            lock.lock()
            defer { lock.unlock() }
            guard failures.isEmpty, next < limit else { return nil }
            next += 1
            return next - 1
        }

        func fail(_ index: Int, _ error: any Error) {
            lock.lock()
            failures.append((index, error))
            lock.unlock()
        }

        var firstError: (any Error)? {
            lock.lock()
            defer { lock.unlock() }
            return failures.min { $0.0 < $1.0 }?.1
        }
    }

    /// The number of cores this process may use.
    public static var defaultThreads: Int { max(1, ProcessInfo.processInfo.activeProcessorCount) }
}
