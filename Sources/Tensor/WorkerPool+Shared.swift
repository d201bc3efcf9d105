import TagoodSupport

#if canImport(Glibc)
import Glibc
#endif

extension WorkerPool {
    /// The model kernels' process-wide pool: `TAGOOD_WORKER_THREADS` threads if set (1 turns it off),
    /// otherwise as many as OpenBLAS had when the pool was first used; a call uses at most OpenBLAS's
    /// current thread count.
    public static let shared: WorkerPool = {
        let fixed = getenv("TAGOOD_WORKER_THREADS").map { String(cString: $0) }.flatMap { Int($0) }.flatMap {
            $0 >= 1 ? $0 : nil
        }
        return WorkerPool(threads: fixed ?? BLAS.threadCount, participants: { BLAS.threadCount })
    }()
}
