import TagoodSupport

/// A clock the test moves by hand, for driving the coordinator's leases and heartbeats without sleeping.
public final class ManualTime: TimeSource {
    private let now: Locked<Double>

    /// Starts at `start` seconds (monotonic and wall alike).
    public init(start: Double = 1_000) { now = Locked(start) }

    public func monotonic() -> Double { now.value }
    public func wall() -> Double { now.value }

    /// Moves the clock forward.
    public func advance(_ seconds: Double) { now.withLock { $0 += seconds } }
}
