import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Writes files so that readers see either the old content or the whole new content, never a part.
///
/// The protocol is the one every tagood output follows: write `<name>.tmp-<pid>-<n>` beside the target,
/// `fsync` it, `rename` it over the target, then `fsync` the directory so the rename itself survives
/// a crash.
public enum AtomicFile {
    /// Writes `bytes` to `path` atomically and durably.
    public static func write(_ bytes: [UInt8], to path: String, mode: mode_t = 0o644) throws(FileError) {
        let result = bytes.withUnsafeBytes { raw in
            Result { () throws(FileError) in try write(raw, to: path, mode: mode) }
        }
        try result.get()
    }

    /// Writes the UTF-8 of `text` to `path` atomically and durably.
    public static func write(_ text: String, to path: String, mode: mode_t = 0o644) throws(FileError) {
        try write(Array(text.utf8), to: path, mode: mode)
    }

    /// Writes a raw buffer to `path` atomically and durably; the file is created with `mode` (less the
    /// umask), so a secret is never readable by others, not even for a moment.
    public static func write(_ buffer: UnsafeRawBufferPointer, to path: String, mode: mode_t = 0o644) throws(FileError)
    {
        let temporary = try writeTemporary(buffer, for: path, mode: mode, sync: true)
        try commit(temporary: temporary, to: path)
    }

    /// Writes `bytes` to a new temporary file beside `path` (``temporaryPath(for:)``) and returns its
    /// path, without `fsync`: the first half of ``write(_:to:mode:)`` for a caller that syncs and
    /// commits it later (``CommitQueue``). On failure the temporary file is deleted.
    public static func writeTemporary(
        _ bytes: [UInt8], for path: String, mode: mode_t = 0o644
    ) throws(FileError) -> String {
        let result = bytes.withUnsafeBytes { raw in
            Result { () throws(FileError) in try writeTemporary(raw, for: path, mode: mode, sync: false) }
        }
        return try result.get()
    }

    private static func writeTemporary(
        _ buffer: UnsafeRawBufferPointer, for path: String, mode: mode_t,
        sync: Bool
    ) throws(FileError) -> String {
        try writeTemporary(for: path, mode: mode, sync: sync) { write throws(FileError) in try write(buffer) }
    }

    /// Writes a new temporary file beside `path` whose bytes `produce` hands, piece by piece, to the
    /// `write` it is given (straight from where they lie: no assembled copy), and returns its path,
    /// without `fsync` unless `sync`. On failure the temporary file is deleted.
    public static func writeTemporary(
        for path: String, mode: mode_t = 0o644, sync: Bool = false,
        _ produce: (_ write: (UnsafeRawBufferPointer) throws(FileError) -> Void) throws(FileError) -> Void
    ) throws(FileError) -> String {
        let temporary = temporaryPath(for: path)
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard fd >= 0 else { throw FileError(.create, path: temporary, errno: errno) }
        func write(_ buffer: UnsafeRawBufferPointer) throws(FileError) {
            var written = 0
            while written < buffer.count {
                let n = Glibc.write(fd, buffer.baseAddress! + written, buffer.count - written)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw FileError(.write, path: temporary, errno: errno)
                }
                written += n
            }
        }
        do throws(FileError) {
            try produce(write)
            if sync && fsync(fd) != 0 { throw FileError(.sync, path: temporary, errno: errno) }
        } catch {
            close(fd); unlink(temporary)
            throw error
        }
        close(fd)
        return temporary
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

    /// A unique temporary name beside `path`: `<path>.tmp-<pid>-<counter>` (``temporaryPath(for:tag:)``
    /// with this process's tag).
    public static func temporaryPath(for path: String) -> String {
        temporaryPath(for: path, tag: "\(getpid())-\(counter.add(1, ordering: .relaxed).newValue)")
    }

    /// The one temporary-name scheme of tagood: `<path>.tmp-<tag>`, where `tag` is made of
    /// `[A-Za-z0-9_-]` (other characters become `_`). The atomic writes here use `<pid>-<n>`; a cluster
    /// attempt's staging file uses `a<attempt>-<worker>` (`JobDirectory.stagingFile`).
    public static func temporaryPath(for path: String, tag: String) -> String {
        let safe = String(decoding: tag.utf8.map { isTagByte($0) ? $0 : UInt8(ascii: "_") }, as: UTF8.self)
        return "\(path)\(marker)\(safe.isEmpty ? "_" : safe)"
    }

    /// The target of a temporary name made by ``temporaryPath(for:tag:)``, or nil when `path` is not one.
    /// Only the last component is parsed: `shard-00001.h5.tmp-a2-host_17` → `shard-00001.h5`; a name
    /// that merely contains `.tmp-` somewhere (`x.tmp-/y`, `a.tmp-b.c`) is not temporary.
    public static func target(ofTemporary path: String) -> String? {
        let name = Path.basename(of: path).utf8
        guard let range = name.lastRange(of: marker.utf8), range.lowerBound > name.startIndex else { return nil }
        let tag = name[range.upperBound...]
        guard !tag.isEmpty, tag.allSatisfy(isTagByte) else { return nil }
        let targetName = String(Substring(name[..<range.lowerBound]))
        let folder = Path.directory(of: path)
        return path.utf8.contains(UInt8(ascii: "/")) ? Path.join(folder, targetName) : targetName
    }

    /// Whether `path` names a temporary file of ``temporaryPath(for:tag:)``'s scheme.
    public static func isTemporary(_ path: String) -> Bool { target(ofTemporary: path) != nil }

    private static let marker = ".tmp-"

    private static func isTagByte(_ b: UInt8) -> Bool {
        (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == UInt8(ascii: "-")
            || b == UInt8(ascii: "_")
    }

    private static let counter = Atomic<Int>(0)
}

extension Collection where Element: Equatable {
    /// The last occurrence of `pattern` as a contiguous run.
    func lastRange(of pattern: some Collection<Element>) -> Range<Index>? {
        guard !pattern.isEmpty, count >= pattern.count else { return nil }
        var found: Range<Index>?
        var i = startIndex
        while i != endIndex {
            if self[i...].starts(with: pattern) { found = i..<index(i, offsetBy: pattern.count) }
            i = index(after: i)
        }
        return found
    }
}
