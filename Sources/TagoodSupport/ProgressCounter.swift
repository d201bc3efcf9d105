import Synchronization

/// Work finished so far, counted from any thread without locks: items (images, shards) and bytes, plus a
/// cancellation flag the counting side checks. Extraction producers count images for the worker's
/// heartbeat; the reducer counts shards and bytes for its progress lines.
public final class ProgressCounter: Sendable {
    private let itemCount = Atomic<Int>(0)
    private let byteCount = Atomic<Int>(0)
    private let cancelled = Atomic<Bool>(false)

    public init() {}

    /// Adds `items` finished items of `bytes` bytes; returns the totals after the addition.
    @discardableResult
    public func add(_ items: Int, bytes: Int = 0) -> (items: Int, bytes: Int) {
        let b = bytes == 0 ? byteCount.load(ordering: .relaxed) : byteCount.add(bytes, ordering: .relaxed).newValue
        return (itemCount.add(items, ordering: .relaxed).newValue, b)
    }

    /// Items so far.
    public var current: Int { itemCount.load(ordering: .relaxed) }
    /// Bytes so far.
    public var bytes: Int { byteCount.load(ordering: .relaxed) }

    /// Asks the counting side to stop at its next check.
    public func cancel() { cancelled.store(true, ordering: .relaxed) }
    /// Whether ``cancel()`` was called.
    public var isCancelled: Bool { cancelled.load(ordering: .relaxed) }
}
