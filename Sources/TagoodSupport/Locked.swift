import Synchronization

/// A value shared between threads behind a `Synchronization.Mutex`. `Mutex` cannot be captured by a
/// closure (it is not copyable); this class can, so a thread and the thread that started it can share a
/// result, a list of slots or a counter. The one lock box of tagood.
public final class Locked<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>

    public init(_ value: Value) { mutex = Mutex(value) }

    /// Runs `body` with exclusive access to the value.
    public func withLock<R: Sendable>(_ body: (inout Value) throws -> R) rethrows -> R {
        try mutex.withLock { value in try body(&value) }
    }

    /// A copy of the value.
    public var value: Value { mutex.withLock { $0 } }
}
