/// A pointer handed to worker threads that write disjoint parts of it (the caller guarantees that).
struct UnsafeShared<T>: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<T>
}
