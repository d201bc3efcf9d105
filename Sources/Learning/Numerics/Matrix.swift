/// A row-major `rows × columns` buffer with a stable address, for BLAS and the layer kernels.
///
/// A class, so that a training step's many activations are allocated once and reused: ``resize(rows:columns:)``
/// keeps the allocation when it is already large enough. Contents after a resize are undefined unless
/// ``zero()`` is called.
public final class Matrix<T: LearningScalar>: @unchecked Sendable {
    public private(set) var rows: Int
    public private(set) var columns: Int
    private(set) var capacity: Int
    /// The first element.
    public private(set) var pointer: UnsafeMutablePointer<T>

    public init(rows: Int = 0, columns: Int = 0) {
        self.rows = rows
        self.columns = columns
        capacity = max(rows * columns, 1)
        pointer = .allocate(capacity: capacity)
        pointer.initialize(repeating: 0, count: capacity)
    }

    /// A matrix holding a copy of `values` (row-major).
    public convenience init(rows: Int, columns: Int, _ values: [T]) {
        precondition(values.count == rows * columns, "Matrix: \(values.count) values for \(rows)×\(columns)")
        self.init(rows: rows, columns: columns)
        values.withUnsafeBufferPointer { pointer.update(from: $0.baseAddress!, count: values.count) }
    }

    deinit { pointer.deallocate() }

    public var count: Int { rows * columns }

    /// Changes the shape, reallocating only when the new shape needs more room. With `keepingContents`
    /// the first `min(old, new)` elements survive a reallocation.
    public func resize(rows: Int, columns: Int, keepingContents: Bool = false) {
        let needed = rows * columns
        if needed > capacity {
            let old = pointer, oldCount = count
            capacity = needed + needed / 4
            pointer = .allocate(capacity: capacity)
            pointer.initialize(repeating: 0, count: capacity)
            if keepingContents { pointer.update(from: old, count: min(oldCount, needed)) }
            old.deallocate()
        }
        self.rows = rows
        self.columns = columns
    }

    /// Sets every element to zero.
    public func zero() { pointer.update(repeating: 0, count: count) }

    /// Row `r`.
    @inline(__always) public func row(_ r: Int) -> UnsafeMutablePointer<T> { pointer + r * columns }

    /// The elements, row-major.
    public var values: [T] { Array(UnsafeBufferPointer(start: pointer, count: count)) }

    @inline(__always) public subscript(_ r: Int, _ c: Int) -> T {
        get { pointer[r * columns + c] }
        set { pointer[r * columns + c] = newValue }
    }
}
