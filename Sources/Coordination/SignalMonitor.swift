import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Counts SIGINT and SIGTERM so the coordinator can stop gracefully on the first and at once on the
/// second. The handler only increments a lock-free atomic (async-signal-safe).
public enum SignalMonitor {
    private static let count = Atomic<Int>(0)

    /// Installs the handlers (idempotent).
    public static func install() {
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { _ in SignalMonitor.count.add(1, ordering: .relaxed) }
        sigemptyset(&action.sa_mask)
        action.sa_flags = SA_RESTART
        sigaction(SIGINT, &action, nil)
        sigaction(SIGTERM, &action, nil)
        // A parent may have started us with these signals blocked (the mask is inherited): unblock them.
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGINT)
        sigaddset(&set, SIGTERM)
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
    }

    /// Puts the default handling of SIGINT and SIGTERM back (they end the process), for work that
    /// follows a coordinated phase and has no graceful stop of its own.
    public static func restoreDefaults() {
        signal(SIGINT, SIG_DFL)
        signal(SIGTERM, SIG_DFL)
    }

    /// How many SIGINT/SIGTERM arrived since start.
    public static var received: Int { count.load(ordering: .relaxed) }
}
