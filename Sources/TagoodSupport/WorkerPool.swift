#if canImport(Glibc)
import Glibc
#endif

/// The one parallel-for of tagood: a fixed set of pthreads (never the Swift concurrency pool) that run
/// the iterations of a loop together with the calling thread. The model's kernels use the process-wide
/// pool (`WorkerPool.shared` in Tensor) for what OpenBLAS does not parallelise itself; an extraction
/// worker decodes on a pool of its own; the reducer reads shards and scores through ``ParallelFor``.
///
/// `parallelFor` blocks the caller until every iteration has run; calls from several threads are
/// serialised. The body must not call `parallelFor` on the same pool. The number of threads taking part
/// is `min(threads, participants())`: Tensor's shared pool passes OpenBLAS's thread count, so
/// `openblas_set_num_threads` sizes both pools at once.
public final class WorkerPool: @unchecked Sendable {
    /// Threads in the pool, the caller included.
    public let threads: Int
    private let participantLimit: @Sendable () -> Int
    private var stopping = false

    private var mutex = pthread_mutex_t()
    private var wake = pthread_cond_t()
    private var done = pthread_cond_t()
    private var callMutex = pthread_mutex_t()
    private var body: ((Int, Int) -> Void)?
    private var total = 0
    private var next = 0
    private var participants = 0
    private var pending = 0
    private var generation = 0

    /// A pool of `threads` threads (the caller included); a call uses `min(threads, participants())`.
    public init(threads: Int, participants: @escaping @Sendable () -> Int = { Int.max }) {
        self.threads = max(1, threads)
        participantLimit = participants
        pthread_mutex_init(&mutex, nil)
        pthread_mutex_init(&callMutex, nil)
        pthread_cond_init(&wake, nil)
        pthread_cond_init(&done, nil)
        for worker in 1..<self.threads {
            let context = Unmanaged.passRetained(WorkerContext(pool: self, id: worker)).toOpaque()
            var thread = pthread_t()
            let rc = pthread_create(
                &thread, nil,
                { raw in
                    let context = Unmanaged<WorkerContext>.fromOpaque(raw!).takeRetainedValue()
                    context.pool.workerLoop(id: context.id)
                    return nil
                }, context)
            if rc == 0 { pthread_detach(thread) } else { Unmanaged<WorkerContext>.fromOpaque(context).release() }
        }
    }

    private final class WorkerContext {
        let pool: WorkerPool
        let id: Int
        init(pool: WorkerPool, id: Int) { self.pool = pool; self.id = id }
    }

    /// How many threads a call uses now.
    public var activeThreads: Int { min(threads, max(1, participantLimit())) }

    /// Ends the pool's threads once they are idle; the pool then runs every call on the calling thread.
    public func stop() {
        pthread_mutex_lock(&mutex)
        stopping = true
        generation &+= 1
        pthread_cond_broadcast(&wake)
        pthread_mutex_unlock(&mutex)
    }

    /// Runs `body(index)` for every index in `0..<count`. After a failure no new iteration starts; the
    /// error of the lowest failing index is thrown.
    public func forEach(_ count: Int, _ body: (_ index: Int) throws -> Void) throws {
        let failure = Locked<(index: Int, error: any Error)?>(nil)
        parallelFor(count) { i, _ in
            if failure.value != nil { return }
            do { try body(i) } catch { failure.withLock { if $0 == nil || i < $0!.index { $0 = (i, error) } } }
        }
        if let failure = failure.value { throw failure.error }
    }

    /// Runs `body(index, worker)` for every index in `0..<count`; `worker` (in `0..<activeThreads`, or
    /// `0..<threads` when given) identifies the thread, for per-thread scratch space. Iterations are handed
    /// out one at a time. `threads` overrides the participant count of this call (at most the pool's size):
    /// for a caller that has just narrowed what `participants()` reads, such as OpenBLAS's thread count
    /// around single-threaded BLAS calls inside the loop.
    public func parallelFor(_ count: Int, threads requested: Int? = nil, _ body: (_ index: Int, _ worker: Int) -> Void)
    {
        let active = stopping ? 1 : requested.map { min(threads, max(1, $0)) } ?? activeThreads
        if active <= 1 || count <= 1 {
            for i in 0..<count { body(i, 0) }
            return
        }
        pthread_mutex_lock(&callMutex)
        defer { pthread_mutex_unlock(&callMutex) }
        withoutActuallyEscaping(body) { escapable in
            pthread_mutex_lock(&mutex)
            self.body = escapable
            total = count
            next = 0
            participants = active
            pending = active - 1
            generation &+= 1
            pthread_cond_broadcast(&wake)
            pthread_mutex_unlock(&mutex)
            runIterations(worker: 0)
            pthread_mutex_lock(&mutex)
            while pending > 0 { pthread_cond_wait(&done, &mutex) }
            self.body = nil
            pthread_mutex_unlock(&mutex)
        }
    }

    /// Splits `0..<count` into about `4 × activeThreads` contiguous ranges and runs them in parallel.
    public func parallelRanges(_ count: Int, minimumChunk: Int = 4096, _ body: (Range<Int>) -> Void) {
        let chunks = min(activeThreads * 4, max(1, count / max(minimumChunk, 1)))
        if chunks <= 1 { body(0..<count); return }
        let size = (count + chunks - 1) / chunks
        parallelFor(chunks) { c, _ in
            let lo = c * size, hi = min(count, lo + size)
            if lo < hi { body(lo..<hi) }
        }
    }

    private func runIterations(worker: Int) {
        while true {
            pthread_mutex_lock(&mutex)
            let i = next
            next += 1
            let body = self.body
            pthread_mutex_unlock(&mutex)
            guard i < total, let body else { return }
            body(i, worker)
        }
    }

    private func workerLoop(id: Int) {
        var seen = 0
        while true {
            pthread_mutex_lock(&mutex)
            while generation == seen { pthread_cond_wait(&wake, &mutex) }
            seen = generation
            if stopping {
                pthread_mutex_unlock(&mutex)
                return
            }
            let takesPart = id < participants
            pthread_mutex_unlock(&mutex)
            if takesPart {
                runIterations(worker: id)
                pthread_mutex_lock(&mutex)
                pending -= 1
                if pending == 0 { pthread_cond_signal(&done) }
                pthread_mutex_unlock(&mutex)
            }
        }
    }
}
