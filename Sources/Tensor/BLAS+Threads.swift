import COpenBLAS
import TagoodSupport

#if canImport(Glibc)
import Glibc
#endif

/// OpenBLAS's threads.
///
/// OpenBLAS (its pthreads build, Debian's default) runs a thread server: it starts `threads - 1` worker
/// threads when the library is loaded, and again whenever `openblas_set_num_threads` finds the server
/// stopped; after starting, and after every threaded product, each of them spins in `sched_yield` for
/// 2^28 cycles (about 0.1 s, `OPENBLAS_THREAD_TIMEOUT`) before it sleeps. On a small machine that is a
/// core taken from whatever the process does next (a shard write, a reduction). So tagood stops the
/// server first thing (``stopIdleThreads()``) and sets the thread count without restarting it; the
/// server starts again when a product actually wants several threads (OpenBLAS checks at each one).
extension BLAS {
    /// The compute threads the process was given (``setThreadCount(_:)``; at first OpenBLAS's own count,
    /// which follows `OPENBLAS_NUM_THREADS`): OpenBLAS's threads, and the participants of
    /// `WorkerPool.shared`. Inside ``withThreadCount(_:_:)`` OpenBLAS may run fewer; this stays.
    public static var threadCount: Int { configured.value }

    private static let configured = Locked<Int>(Int(openblas_get_num_threads()))

    /// Sets the compute thread count: OpenBLAS's worker threads and `WorkerPool.shared`'s participants
    /// (process-wide; set it once at start-up, after pinning).
    public static func setThreadCount(_ n: Int) {
        let n = max(1, n)
        configured.withLock { $0 = n }
        setOpenBLASThreads(n)
    }

    /// Runs `body` with OpenBLAS itself at `n` threads, then restores its count; ``threadCount`` (and so
    /// the worker pool) is unchanged. For products issued from the worker pool's threads (see
    /// ``parallelSgemm(transposeB:m:n:k:alpha:a:lda:b:ldb:beta:c:ldc:)``): OpenBLAS would otherwise split
    /// each of them over its own threads too, and the two sets of threads fight over the cores
    /// (sched_yield). Only for code that owns the process's BLAS calls while it runs (the model's forward).
    public static func withThreadCount<R>(_ n: Int, _ body: () throws -> R) rethrows -> R {
        let previous = Int(openblas_get_num_threads())
        guard previous != n else { return try body() }
        setOpenBLASThreads(n)
        defer { setOpenBLASThreads(previous) }
        return try body()
    }

    /// Stops OpenBLAS's thread server (its worker threads exit); the next product that wants several
    /// threads starts it again. Call it first thing in `main`, after ``reexecWithPreferredKernelsIfNeeded()``
    /// and before any other thread could be in a product. Does nothing with an OpenBLAS without a thread
    /// server (a serial or OpenMP build).
    public static func stopIdleThreads() {
        _ = OpenBLASServer.shutdown?()
    }

    /// OpenBLAS's thread count for the next products. `openblas_set_num_threads` starts the server when
    /// it is stopped, and the new threads would spin. When the server is sized for `n` threads already
    /// (`blas_num_threads`, set at load, whether it runs or not), the count is only its `blas_cpu_number`,
    /// the one other thing the setter changes; for more threads the setter sizes the server, and a server
    /// that was stopped is stopped again (its new threads exit at once instead of spinning).
    private static func setOpenBLASThreads(_ n: Int) {
        guard let cpuNumber = OpenBLASServer.cpuNumber, let allocated = OpenBLASServer.allocated,
            let running = OpenBLASServer.running, let shutdown = OpenBLASServer.shutdown
        else {
            openblas_set_num_threads(Int32(n))
            return
        }
        if n <= Int(allocated.pointee) {
            cpuNumber.pointee = Int32(n)
            return
        }
        let wasStopped = running.pointee == 0
        openblas_set_num_threads(Int32(n))
        if wasStopped { _ = shutdown() }
    }
}

/// The parts of OpenBLAS's pthreads thread server (`driver/others/blas_server.c`) that its header does
/// not declare, found at run time: nil in a build without them, where the documented API is used.
private enum OpenBLASServer {
    /// Threads the next product may use (what `openblas_get_num_threads` returns).
    nonisolated(unsafe) static let cpuNumber = symbol("blas_cpu_number")?.assumingMemoryBound(to: Int32.self)
    /// Threads the server was sized for (the calling thread included).
    nonisolated(unsafe) static let allocated = symbol("blas_num_threads")?.assumingMemoryBound(to: Int32.self)
    /// Nonzero while the server's threads exist (`blas_server_avail`).
    nonisolated(unsafe) static let running = symbol("blas_server_avail")?.assumingMemoryBound(to: Int32.self)
    /// `blas_thread_shutdown_`: joins the server's threads and marks it stopped.
    static let shutdown: (@convention(c) () -> Int32)? = symbol("blas_thread_shutdown_").map {
        unsafeBitCast($0, to: (@convention(c) () -> Int32).self)
    }

    /// A symbol of the loaded libraries (RTLD_DEFAULT, a null handle on glibc).
    private static func symbol(_ name: String) -> UnsafeMutableRawPointer? { dlsym(nil, name) }
}
