import CAffinity
import Foundation
import Launch
import TagoodSupport
import Tensor

/// Where a worker runs: a CPU core set or a GPU.
public enum Pinning: Sendable, Equatable {
    case cores([Int])
    case gpu(Int)

    /// Applies the pinning to the whole process and sizes OpenBLAS (and the shared worker pool) to `threads`.
    ///
    /// OpenBLAS starts its thread pool before `main` runs, so pinning the calling thread is not enough:
    /// every existing thread (`/proc/self/task/*`) is pinned, and threads created later inherit the set.
    /// A GPU worker exports `CUDA_VISIBLE_DEVICES` so that it sees exactly its device.
    public func apply(threads: Int) throws(ClusterError) {
        switch self {
        case .cores(let cores):
            let ids = cores.map(Int32.init)
            for task in FileSystem.list("/proc/self/task").compactMap(Int32.init) {
                let rc = tagood_set_task_affinity(task, ids, Int32(ids.count))
                if rc != 0 && rc != ESRCH { // ESRCH: the thread ended meanwhile
                    throw ClusterError(
                        .pinning, "cannot pin to cores \(CoreSet.format(cores)): \(String(cString: strerror(rc)))")
                }
            }
        case .gpu(let index):
            setenv("CUDA_VISIBLE_DEVICES", String(index), 1)
        }
        BLAS.setThreadCount(threads)
    }

    /// The CPUs this process may run on now (to report in `hello`).
    public static func currentCores() -> [Int] { CoreSet.available() }

    public var deviceName: String {
        switch self {
        case .cores: "cpu"
        case .gpu: "gpu"
        }
    }
}
