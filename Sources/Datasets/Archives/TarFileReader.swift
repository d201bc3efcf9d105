import TagoodSupport

#if canImport(Glibc)
import Glibc
#endif

/// Reads a tar file's headers in one pass, front to back, with few system calls.
///
/// Reads go through a window: a header within 64 KiB after the window's end (small members, as in a
/// webdataset shard) is read with the next 1 MiB of the file, so a tar of small members is read
/// sequentially in large pieces; one further away (after a large member's data) is read with an 8 KiB
/// `pread` at its offset, so the data of large members is skipped, not read.
final class TarFileReader {
    let fd: Int32
    /// The tar's path, for messages.
    let path: String
    /// The file's size and modification time (nanoseconds since the epoch) when it was opened.
    let size: UInt64
    let modified: Int64
    private var window: [UInt8] = []
    private var windowStart: UInt64 = 0

    private static let streamingGap: UInt64 = 64 << 10
    private static let streamingRead = 1 << 20
    private static let seekingRead = 8 << 10

    /// Opens `path`, which must be a regular file.
    init(path: String) throws(DatasetError) {
        self.path = path
        let fd = FileName.withCString(path) { open($0, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY) }
        guard fd >= 0 else {
            throw DatasetError(
                .unreadable, "cannot open tar \(FileName.display(path)): \(String(cString: strerror(errno)))",
                subject: path)
        }
        var st = stat()
        guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else {
            close(fd)
            throw DatasetError(
                .notARegularFile, "\(FileName.display(path)) is \(FileBytes.kind(of: st.st_mode)), not a tar file",
                subject: path)
        }
        self.fd = fd
        size = UInt64(st.st_size)
        modified = ArchiveIndex.Tar.nanoseconds(st.st_mtim)
    }

    deinit { close(fd) }

    /// `count` bytes at `offset`, fewer only at the end of the file.
    func read(at offset: UInt64, count: Int) throws(DatasetError) -> ArraySlice<UInt8> {
        let windowEnd = windowStart + UInt64(window.count)
        if offset >= windowStart, offset + UInt64(count) <= windowEnd {
            let from = Int(offset - windowStart)
            return window[from..<(from + count)]
        }
        let streaming = offset >= windowEnd && offset - windowEnd <= Self.streamingGap
        let want = max(count, streaming ? Self.streamingRead : Self.seekingRead)
        let available = offset < size ? Int(min(UInt64(want), size - offset)) : 0
        window = try pread(at: offset, count: available)
        windowStart = offset
        return window.prefix(min(count, window.count))
    }

    /// Exactly `count` bytes at `offset` (fewer when the file ends first), read with `pread`.
    func pread(at offset: UInt64, count: Int) throws(DatasetError) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            let n = bytes.withUnsafeMutableBytes {
                Glibc.pread(fd, $0.baseAddress! + done, count - done, off_t(offset) + off_t(done))
            }
            if n < 0 {
                if errno == EINTR { continue }
                throw DatasetError(
                    .unreadable,
                    "cannot read tar \(FileName.display(path)) at byte \(offset + UInt64(done)): \(String(cString: strerror(errno)))",
                    subject: path)
            }
            if n == 0 { break }
            done += n
        }
        if done < count { bytes.removeLast(count - done) }
        return bytes
    }
}
