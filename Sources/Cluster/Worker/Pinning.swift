import CAffinity
import Foundation
import Launch
import TagoodSupport
import Tensor

/// Where a worker runs: a CPU core set, or a GPU with its decode threads on a core set.
public enum Pinning: Sendable, Equatable {
    /// RAM on the CPU, every thread pinned to these cores.
    case cores([Int])
    /// RAM on a GPU: device `index` (nil: the one `CUDA_VISIBLE_DEVICES` already names, as Slurm's
    /// `--gres=gpu:1` sets it), and the process's threads (decoding) pinned to `cores` (nil: not pinned).
    case gpu(Int?, cores: [Int]?)

    /// Applies the pinning to the whole process and sizes OpenBLAS (and the shared worker pool) to `threads`.
    ///
    /// OpenBLAS starts its thread pool before `main` runs, so pinning the calling thread is not enough:
    /// every existing thread (`/proc/self/task/*`) is pinned, and threads created later inherit the set.
    /// A GPU worker with an index exports `CUDA_VISIBLE_DEVICES` so that it sees exactly its device (then
    /// CUDA's device 0).
    public func apply(threads: Int) throws(ClusterError) {
        switch self {
        case .cores(let cores):
            try Self.pin(to: cores)
        case .gpu(let index, let cores):
            if let cores { try Self.pin(to: cores) }
            if let index { setenv("CUDA_VISIBLE_DEVICES", String(index), 1) }
        }
        BLAS.setThreadCount(threads)
    }

    private static func pin(to cores: [Int]) throws(ClusterError) {
        let ids = cores.map(Int32.init)
        for task in FileSystem.list("/proc/self/task").compactMap(Int32.init) {
            let rc = tagood_set_task_affinity(task, ids, Int32(ids.count))
            if rc != 0 && rc != ESRCH { // ESRCH: the thread ended meanwhile
                throw ClusterError(
                    .pinning, "cannot pin to cores \(CoreSet.format(cores)): \(String(cString: strerror(rc)))")
            }
        }
    }

    /// The CPUs this process may run on now (to report in `hello`).
    public static func currentCores() -> [Int] { CoreSet.available() }

    /// The CPU cores the worker is pinned to (nil for a GPU worker whose threads are not pinned).
    public var cores: [Int]? {
        switch self {
        case .cores(let cores): cores
        case .gpu(_, let cores): cores
        }
    }

    public var deviceName: String {
        switch self {
        case .cores: "cpu"
        case .gpu(let index?, _): "gpu \(index)"
        case .gpu(nil, _): "gpu \(ProcessInfo.processInfo.environment["CUDA_VISIBLE_DEVICES"] ?? "(inherited)")"
        }
    }
}
