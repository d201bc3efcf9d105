import Foundation
import TagoodSupport

/// The job's append-only journal, `journal.jsonl`: one JSON record per line, each line written with a
/// single `write(2)` and `fsync`'d before the coordinator acts on it.
///
/// A coordinator killed mid-write can leave a final line without its newline. Reading ignores such a
/// tail (it was never acted on), and opening for append cuts it off first, so the next record starts on
/// a fresh line. A malformed line anywhere else is corruption and an error.
public final class Journal {
    public let path: String
    private let fd: Int32
    private let encoder: JSONEncoder

    /// Opens (creating if needed) the journal for appending; a symbolic link in its place is refused
    /// (`ELOOP`), so no record is ever appended to a file outside the job.
    public init(path: String) throws(FileError) {
        self.path = path
        let fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0o644)
        guard fd >= 0 else { throw FileError(.open, path: path, errno: errno) }
        self.fd = fd
        encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        try cutPartialTail()
        try AtomicFile.syncDirectory(containing: path)
    }

    deinit { close(fd) }

    /// Appends one record; with `sync` (the default) it is durable when this returns. A caller that
    /// appends several records at once may pass `sync: false` and call ``sync()`` once before acting on
    /// any of them (group commit).
    public func append(_ record: JournalRecord, sync: Bool = true) throws(FileError) {
        var line: [UInt8]
        do { line = Array(try encoder.encode(record)) } catch {
            preconditionFailure("journal records always encode: \(error)")
        }
        line.append(UInt8(ascii: "\n"))
        let start = lseek(fd, 0, SEEK_END)
        var done = 0
        while done < line.count {
            let n = line.withUnsafeBytes { write(fd, $0.baseAddress! + done, $0.count - done) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else {
                // Leave no partial line behind (replay would ignore it, but nothing may follow it): cut back.
                let error = n < 0 ? errno : ENOSPC
                if start >= 0 { _ = ftruncate(fd, start) }
                throw FileError(.write, path: path, errno: error)
            }
            done += n
        }
        if sync { try self.sync() }
    }

    /// Makes every appended record durable.
    public func sync() throws(FileError) {
        guard fsync(fd) == 0 else { throw FileError(.sync, path: path, errno: errno) }
    }

    /// Reads every complete record of a journal (an absent file has none).
    public static func read(path: String) throws(JobError) -> [JournalRecord] {
        guard access(path, F_OK) == 0 else { return [] }
        let bytes: [UInt8]
        do { bytes = try FileBytes.read(path) } catch {
            throw JobError(.journalDamaged, "cannot read \(path): \(error)", subject: path)
        }
        let decoder = JSONDecoder()
        var records: [JournalRecord] = []
        var start = 0
        var lineNumber = 0
        while let newline = bytes[start...].firstIndex(of: UInt8(ascii: "\n")) {
            lineNumber += 1
            let line = bytes[start..<newline]
            start = newline + 1
            if line.isEmpty { continue }
            do {
                records.append(try decoder.decode(JournalRecord.self, from: Data(line)))
            } catch {
                throw JobError(
                    .journalDamaged, "\(path) line \(lineNumber) is not a journal record (\(error))", subject: path,
                    remedy:
                        "the journal is damaged: move it aside and run `tagood resume`, which re-verifies every shard file"
                )
            }
        }
        return records // bytes after the last newline: a write cut short by a crash, never acted on
    }

    private func cutPartialTail() throws(FileError) {
        let size = lseek(fd, 0, SEEK_END)
        guard size > 0 else { return }
        var last: UInt8 = 0
        guard pread(fd, &last, 1, size - 1) == 1 else { throw FileError(.read, path: path, errno: errno) }
        guard last != UInt8(ascii: "\n") else { return }
        // Find the last complete line and cut after it.
        var end = size
        var chunk = [UInt8](repeating: 0, count: 4096)
        var keep: off_t = 0
        search: while end > 0 {
            let from = max(0, end - off_t(chunk.count))
            let n = chunk.withUnsafeMutableBytes { pread(fd, $0.baseAddress, Int(end - from), from) }
            guard n >= 0 else { throw FileError(.read, path: path, errno: errno) }
            for i in stride(from: n - 1, through: 0, by: -1) where chunk[i] == UInt8(ascii: "\n") {
                keep = from + off_t(i) + 1
                break search
            }
            end = from
        }
        guard ftruncate(fd, keep) == 0, fsync(fd) == 0 else { throw FileError(.write, path: path, errno: errno) }
    }
}
