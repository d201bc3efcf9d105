#if canImport(Glibc)
import Glibc
#endif

/// Whole-file reads with plain `read(2)`, for list files, plans and images.
public enum FileBytes {
    /// Reads all of `path`.
    public static func read(_ path: String) throws(FileError) -> [UInt8] {
        let fd = FileName.withCString(path) { open($0, O_RDONLY | O_CLOEXEC) }
        guard fd >= 0 else { throw FileError(.open, path: path, errno: errno) }
        defer { close(fd) }
        var st = stat()
        let expected = fstat(fd, &st) == 0 ? Int(st.st_size) : 0
        var bytes = [UInt8](repeating: 0, count: max(expected, 0))
        var used = 0
        while true {
            if used == bytes.count {
                bytes.append(contentsOf: repeatElement(0, count: max(bytes.count, 1 << 16)))
            }
            let n = bytes.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress! + used, $0.count - used) }
            if n < 0 {
                if errno == EINTR { continue }
                throw FileError(.read, path: path, errno: errno)
            }
            if n == 0 { break }
            used += n
        }
        bytes.removeLast(bytes.count - used)
        return bytes
    }
}
