import Shards
import TagoodSupport

#if canImport(Glibc)
import Glibc
#endif

/// Tells a full disk (or quota) apart from a shard's own failure, so that it is not charged to the shard:
/// the worker reports it as `disk.full` (``JournalRecord/diskFullCode``) and the coordinator pauses.
enum StorageCheck {
    /// Below this much free space after a failed write, the failure is taken for a full disk: HDF5 does
    /// not always pass the write's errno on.
    static let lowSpaceBytes = 64 << 20

    /// `disk full at FOLDER (free: N MB)` when `error` came from a full disk or quota under `folder`.
    static func diskFull(after error: any Error, folder: String) -> String? {
        let text = "\(error)"
        var full = text.contains("No space left on device") || text.contains("Disk quota exceeded")
        if let e = error as? FileError, e.errno == ENOSPC || e.errno == EDQUOT { full = true }
        let free = freeBytes(folder)
        let wasWrite = (error as? ShardError)?.kind == .write || error is FileError
        if wasWrite, let free, free < lowSpaceBytes { full = true }
        guard full else { return nil }
        return "disk full at \(folder) (free: \(free.map { "\($0 >> 20) MB" } ?? "unknown"))"
    }

    /// Bytes an unprivileged writer may still use on the file system of `path`.
    static func freeBytes(_ path: String) -> Int? {
        var info = statvfs()
        guard statvfs(path, &info) == 0 else { return nil }
        return Int(info.f_bavail) * Int(info.f_frsize)
    }
}
