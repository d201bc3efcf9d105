import Foundation
import TagoodSupport
import Testing

@testable import Tensor

@Suite struct WorkerPoolTests {
    final class Counts: @unchecked Sendable {
        var hits: [Int]
        let lock = NSLock()
        init(_ n: Int) { hits = [Int](repeating: 0, count: n) }
        func hit(_ i: Int) { lock.lock(); hits[i] += 1; lock.unlock() }
    }

    @Test(arguments: [1, 2, 3, 4])
    func everyIndexRunsOnce(threads: Int) {
        let pool = WorkerPool(threads: threads)
        for count in [0, 1, 2, 7, 100, 1000] {
            let counts = Counts(count)
            var maxWorker = 0
            let lock = NSLock()
            pool.parallelFor(count) { i, worker in
                counts.hit(i)
                lock.lock(); maxWorker = max(maxWorker, worker); lock.unlock()
            }
            #expect(counts.hits.allSatisfy { $0 == 1 }, "count \(count)")
            #expect(maxWorker < pool.activeThreads)
        }
        let ranges = Counts(100_000)
        pool.parallelRanges(100_000, minimumChunk: 1000) { r in for i in r { ranges.hit(i) } }
        #expect(ranges.hits.allSatisfy { $0 == 1 })
    }

    @Test func concurrentCallersAreSerialisedSafely() {
        let pool = WorkerPool(threads: 2)
        let counts = Counts(4 * 500)
        DispatchQueue.concurrentPerform(iterations: 4) { caller in
            pool.parallelFor(500) { i, _ in counts.hit(caller * 500 + i) }
        }
        #expect(counts.hits.allSatisfy { $0 == 1 })
    }
}
