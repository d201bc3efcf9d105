#if canImport(Glibc)
import Glibc
#endif

/// This process as the cluster sees it.
public enum ProcessIdentity {
    /// The host name (`gethostname`).
    public static var hostname: String {
        var buffer = [CChar](repeating: 0, count: 256)
        gethostname(&buffer, 255)
        return String(cString: buffer)
    }

    /// `host:pid`, a worker's id for its lifetime.
    public static var workerID: String { "\(hostname):\(getpid())" }
}
