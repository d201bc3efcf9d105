#if canImport(Glibc)
import Glibc
#endif

/// A growable, manually managed byte buffer: the writer's per-dataset staging area. Unlike `[UInt8]` it
/// hands out uninitialised space to convert into (float16 rows) without zero-filling it first, and it
/// grows with `realloc`, which moves a large buffer by remapping its pages instead of copying them (a
/// whole `tokens` column is tens of megabytes).
final class ByteBuffer {
    private(set) var base: UnsafeMutableRawPointer
    private(set) var count = 0
    private(set) var capacity: Int

    init(capacity: Int = 4096) {
        self.capacity = max(capacity, 64)
        guard let memory = malloc(self.capacity) else { fatalError("out of memory staging \(self.capacity) bytes") }
        base = memory
    }

    deinit { free(base) }

    /// Grows the buffer by `byteCount` bytes and returns where they start (uninitialised).
    func extend(by byteCount: Int) -> UnsafeMutableRawPointer {
        if count + byteCount > capacity {
            var newCapacity = capacity * 2
            while newCapacity < count + byteCount { newCapacity *= 2 }
            guard let grown = realloc(base, newCapacity) else {
                fatalError("out of memory staging \(newCapacity) bytes")
            }
            base = grown
            capacity = newCapacity
        }
        let start = base + count
        count += byteCount
        return start
    }

    /// Appends raw bytes.
    func append(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count > 0, let source = bytes.baseAddress else { return }
        extend(by: bytes.count).copyMemory(from: source, byteCount: bytes.count)
    }

    /// Appends the little-endian bytes of one integer.
    func append<T: FixedWidthInteger>(integer: T) {
        extend(by: MemoryLayout<T>.size).storeBytes(of: integer.littleEndian, as: T.self)
    }

    /// Appends `byteCount` zero bytes.
    func appendZeros(_ byteCount: Int) {
        guard byteCount > 0 else { return }
        extend(by: byteCount).initializeMemory(as: UInt8.self, repeating: 0, count: byteCount)
    }

    /// The content as a raw buffer (valid until the next mutation).
    var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }

    /// Drops the first `byteCount` bytes, moving the rest to the front.
    func removeFirst(_ byteCount: Int) {
        precondition(byteCount <= count, "removing \(byteCount) of \(count) staged bytes")
        memmove(base, base + byteCount, count - byteCount)
        count -= byteCount
    }

    /// Empties the buffer, keeping its memory.
    func removeAll() { count = 0 }
}
