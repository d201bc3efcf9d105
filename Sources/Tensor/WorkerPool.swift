#if canImport(Glibc)
import Glibc
#endif

/// A fixed set of pthreads that run the iterations of a parallel loop together with the calling
/// thread. The model uses it for the work OpenBLAS does not parallelise itself: the many small
/// per-window attention products, softmax, GELU and LayerNorm.
///
/// `parallelFor` blocks the caller until every iteration has run; calls from several threads are
/// serialised. The body must not call `parallelFor` itself. The number of threads taking part is
/// `min(threads, BLAS.threadCount)`, so `openblas_set_num_threads` (``BLAS/setThreadCount(_:)``) sizes
/// both pools at once.
public final class WorkerPool: @unchecked Sendable {
    /// The process-wide pool: `TAGOOD_WORKER_THREADS` threads if set (1 turns it off), otherwise as
    /// many as OpenBLAS had when the pool was first used.
    public static let shared: WorkerPool = {
        if let text = getenv("TAGOOD_WORKER_THREADS").map({ String(cString: $0) }), let n = Int(text), n >= 1 {
            return WorkerPool(threads: n)
        }
        return WorkerPool(threads: BLAS.threadCount)
    }()

    /// Threads in the pool, the caller included.
    public let threads: Int

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

    public init(threads: Int) {
        self.threads = max(1, threads)
        pthread_mutex_init(&mutex, nil)
        pthread_mutex_init(&callMutex, nil)
        pthread_cond_init(&wake, nil)
        pthread_cond_init(&done, nil)
        for worker in 1..<self.threads {
            let context = Unmanaged.passRetained(WorkerContext(pool: self, id: worker)).toOpaque()
            var thread = pthread_t()
            let rc = pthread_create(&thread, nil, { raw in
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
    public var activeThreads: Int { min(threads, max(1, BLAS.threadCount)) }

    /// Runs `body(index, worker)` for every index in `0..<count`; `worker` (in `0..<activeThreads`)
    /// identifies the thread, for per-thread scratch space. Iterations are handed out one at a time.
    public func parallelFor(_ count: Int, _ body: (_ index: Int, _ worker: Int) -> Void) {
        let active = activeThreads
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
