import TagoodSupport

#if canImport(Glibc)
import Glibc
#endif

/// A read-only memory map of a whole file (checkpoints can be several GB; nothing is copied until a
/// tensor is converted). The bytes live as long as this object.
public final class MappedFile: @unchecked Sendable {
    public let path: String
    public let count: Int
    private let base: UnsafeRawPointer?

    public init(path: String) throws(ModelError) {
        self.path = path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .io(FileError(.open, path: path, errno: errno)) }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw .io(FileError(.stat, path: path, errno: errno)) }
        count = Int(st.st_size)
        if count == 0 {
            base = nil
            return
        }
        let p = mmap(nil, count, PROT_READ, MAP_PRIVATE, fd, 0)
        guard let p, p != MAP_FAILED else { throw .io(FileError(.read, path: path, errno: errno)) }
        base = UnsafeRawPointer(p)
    }

    deinit {
        if let base { munmap(UnsafeMutableRawPointer(mutating: base), count) }
    }

    /// The bytes `offset ..< offset + length`, or nil when that range is not inside the file.
    public func bytes(at offset: Int, count length: Int) -> UnsafeRawBufferPointer? {
        guard offset >= 0, length >= 0, offset <= count, length <= count - offset else { return nil }
        guard let base else { return UnsafeRawBufferPointer(start: nil, count: 0) }
        return UnsafeRawBufferPointer(start: base + offset, count: length)
    }

    /// The whole file.
    public var all: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: base == nil ? 0 : count) }

    /// XXH64 of the whole file, as 16 hex digits.
    public func xxh64() -> String {
        var h = XXH64()
        var offset = 0
        let chunk = 1 << 24
        while offset < count {
            h.update(bytes(at: offset, count: min(chunk, count - offset))!)
            offset += chunk
        }
        return h.hexDigest()
    }
}
