import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A thread-safe count of finished items and bytes.
final class ProgressCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var items = 0
    private var total = 0

    /// Adds one item of `bytes`; returns the items and bytes so far.
    func add(bytes: Int) -> (Int, Int) {
        lock.lock()
        defer { lock.unlock() }
        items += 1
        total += bytes
        return (items, total)
    }

    var bytes: Int {
        lock.lock()
        defer { lock.unlock() }
        return total
    }
}

/// File sizes without HDF5.
enum ShardFileSize {
    static func bytes(_ path: String) throws -> Int {
        var info = stat()
        guard stat(path, &info) == 0 else { return 0 }
        return Int(info.st_size)
    }
}
