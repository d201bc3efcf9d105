#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes files so that readers see either the old content or the whole new content, never a part.
///
/// The protocol is the one every tagood output follows: write `<name>.tmp-<pid>-<n>` beside the target,
/// `fsync` it, `rename` it over the target, then `fsync` the directory so the rename itself survives
/// a crash.
public enum AtomicFile {
    /// Writes `bytes` to `path` atomically and durably.
    public static func write(_ bytes: [UInt8], to path: String) throws(FileError) {
        let result = bytes.withUnsafeBytes { raw in
            Result { () throws(FileError) in try write(raw, to: path) }
        }
        try result.get()
    }

    /// Writes the UTF-8 of `text` to `path` atomically and durably.
    public static func write(_ text: String, to path: String) throws(FileError) {
        try write(Array(text.utf8), to: path)
    }

    /// Writes a raw buffer to `path` atomically and durably.
    public static func write(_ buffer: UnsafeRawBufferPointer, to path: String) throws(FileError) {
        let temporary = temporaryPath(for: path)
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw FileError(.create, path: temporary, errno: errno) }
        var written = 0
        while written < buffer.count {
            let n = Glibc.write(fd, buffer.baseAddress! + written, buffer.count - written)
            if n < 0 {
                if errno == EINTR { continue }
                let e = errno
                close(fd); unlink(temporary)
                throw FileError(.write, path: temporary, errno: e)
            }
            written += n
        }
        if fsync(fd) != 0 {
            let e = errno
            close(fd); unlink(temporary)
            throw FileError(.sync, path: temporary, errno: e)
        }
        close(fd)
        try commit(temporary: temporary, to: path)
    }

    /// Renames a finished, already fsync'd temporary file over `path` and syncs the directory. A caller
    /// committing many files may pass `syncDirectory: false` and sync each directory once afterwards.
    public static func commit(temporary: String, to path: String, syncDirectory sync: Bool = true) throws(FileError) {
        guard rename(temporary, path) == 0 else {
            let e = errno
            unlink(temporary)
            throw FileError(.rename, path: path, errno: e)
        }
        if sync { try syncDirectory(containing: path) }
    }

    /// `fsync`s an existing file, for writers (like HDF5) that produce the file themselves.
    public static func sync(path: String) throws(FileError) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw FileError(.open, path: path, errno: errno) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw FileError(.sync, path: path, errno: errno) }
    }

    /// `fsync`s the directory that holds `path`, making a rename or a create in it durable.
    public static func syncDirectory(containing path: String) throws(FileError) {
        let directory = Path.directory(of: path)
        let fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw FileError(.open, path: directory, errno: errno) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw FileError(.sync, path: directory, errno: errno) }
    }

    /// A unique temporary name beside `path`: `<path>.tmp-<pid>-<counter>`. Temporary files are
    /// recognisable (``isTemporary(_:)``) so that cleanup can find what a killed writer left.
    public static func temporaryPath(for path: String) -> String {
        "\(path).tmp-\(getpid())-\(counter.next())"
    }

    /// Whether `path` names a temporary file made by ``temporaryPath(for:)``.
    public static func isTemporary(_ path: String) -> Bool {
        path.contains(".tmp-")
    }

    private static let counter = Counter()
}

/// A process-wide counter for unique temporary names.
private final class Counter: @unchecked Sendable {
    private var value = 0
    private var lock = pthread_mutex_t()
    init() { pthread_mutex_init(&lock, nil) }
    func next() -> Int {
        pthread_mutex_lock(&lock)
        defer { pthread_mutex_unlock(&lock) }
        value += 1
        return value
    }
}
