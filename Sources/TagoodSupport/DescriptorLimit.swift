#if canImport(Glibc)
import Glibc
#endif

/// The process's file-descriptor budget. A coordinator holds one descriptor per connection, and
/// outsiders can open connections: it raises its limit at start and tells its own lack of descriptors
/// (or memory) apart from a bad result, which it must not charge to a shard.
public enum DescriptorLimit {
    /// Raises the soft `RLIMIT_NOFILE` to the hard limit; returns the soft limit now in force.
    @discardableResult
    public static func raiseToHardLimit() -> Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 1024 }
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = limit.rlim_max
            if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) == 0 { limit = raised }
        }
        return limit.rlim_cur > rlim_t(Int32.max) ? Int(Int32.max) : Int(limit.rlim_cur)
    }

    /// Whether `code` (an `errno`) says the process or the system ran out of descriptors or memory:
    /// the process's problem, not the file's.
    public static func isExhaustion(_ code: Int32) -> Bool { code == EMFILE || code == ENFILE || code == ENOMEM }

    /// Whether this process cannot open a file now for lack of descriptors (or memory): a probe that opens
    /// and closes `/dev/null`.
    public static var isExhausted: Bool {
        let fd = open("/dev/null", O_RDONLY | O_CLOEXEC)
        if fd >= 0 {
            close(fd)
            return false
        }
        return isExhaustion(errno)
    }
}
