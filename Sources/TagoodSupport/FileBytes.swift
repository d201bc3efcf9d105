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
        return try readToEnd(fd, path: path, capacity: max(expected, 0))
    }

    /// Reads all of `path`, which must be a regular file of at most `limit` bytes (an image).
    ///
    /// It never blocks on what is not a file: the open is `O_NONBLOCK` (a FIFO opens at once instead of
    /// waiting for a writer), the descriptor is `fstat`ed, and anything but a regular file (a FIFO, a
    /// device such as `/dev/zero` behind a symbolic link, a socket, a folder) is refused with
    /// ``FileError/Operation/notRegular``. At most `limit` bytes are read: a file that is, or grows,
    /// larger fails with ``FileError/Operation/tooLarge``.
    public static func readRegular(_ path: String, limit: Int) throws(FileError) -> [UInt8] {
        let fd = FileName.withCString(path) { open($0, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY) }
        guard fd >= 0 else { throw FileError(.open, path: path, errno: errno) }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw FileError(.stat, path: path, errno: errno) }
        guard (st.st_mode & S_IFMT) == S_IFREG else {
            throw FileError(.notRegular, path: path, errno: 0, detail: FileBytes.kind(of: st.st_mode))
        }
        let expected = Int(st.st_size)
        guard expected <= limit else {
            throw FileError(.tooLarge, path: path, errno: 0, detail: "\(expected) bytes, the limit is \(limit)")
        }
        // One byte more than the size at open: a file that grew is seen and, past the limit, refused.
        return try readToEnd(fd, path: path, capacity: min(expected, limit) + 1, limit: limit)
    }

    /// Reads `fd` (the file at `path`) to its end into a buffer of `capacity` bytes to start with, grown as
    /// needed; with `limit`, fails with ``FileError/Operation/tooLarge`` once more than `limit` bytes came.
    private static func readToEnd(
        _ fd: Int32, path: String, capacity: Int, limit: Int? = nil
    ) throws(FileError) -> [UInt8] {
        let grewPastLimit = { (limit: Int) in
            FileError(.tooLarge, path: path, errno: 0, detail: "it grew past the limit of \(limit) bytes")
        }
        var bytes = [UInt8](repeating: 0, count: capacity)
        var used = 0
        while true {
            if used == bytes.count {
                var growth = max(bytes.count, 1 << 16)
                if let limit {
                    guard used <= limit else { throw grewPastLimit(limit) }
                    growth = min(growth, limit + 1 - used)
                }
                bytes.append(contentsOf: repeatElement(0, count: growth))
            }
            let n = bytes.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress! + used, $0.count - used) }
            if n < 0 {
                if errno == EINTR { continue }
                throw FileError(.read, path: path, errno: errno)
            }
            if n == 0 { break }
            used += n
        }
        if let limit, used > limit { throw grewPastLimit(limit) }
        bytes.removeLast(bytes.count - used)
        return bytes
    }

    /// What a file mode is, in words: "a FIFO (named pipe)", "a character device", ….
    public static func kind(of mode: mode_t) -> String {
        switch mode & S_IFMT {
        case S_IFREG: return "a regular file"
        case S_IFDIR: return "a folder"
        case S_IFIFO: return "a FIFO (named pipe)"
        case S_IFCHR: return "a character device"
        case S_IFBLK: return "a block device"
        case S_IFSOCK: return "a socket"
        case S_IFLNK: return "a symbolic link"
        default: return "not a regular file"
        }
    }
}
