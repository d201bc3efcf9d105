#if canImport(Glibc)
import Glibc
#endif

/// Where time comes from. The coordinator reads it through this protocol, so tests can drive leases and
/// heartbeats with a clock they move by hand instead of sleeping.
public protocol TimeSource: Sendable {
    /// Monotonic seconds, for leases, heartbeats and rates (a wall-clock jump must not expire a lease).
    func monotonic() -> Double
    /// Wall-clock seconds since 1970, for journal records.
    func wall() -> Double
}

/// The system's clocks (`CLOCK_MONOTONIC`, `CLOCK_REALTIME`).
public struct SystemTime: TimeSource {
    public init() {}
    public func monotonic() -> Double { Self.read(CLOCK_MONOTONIC) }
    public func wall() -> Double { Self.read(CLOCK_REALTIME) }

    private static func read(_ clock: clockid_t) -> Double {
        var ts = timespec()
        clock_gettime(clock, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
}

/// Monotonic seconds from the system clock.
public func monotonicSeconds() -> Double { SystemTime().monotonic() }
