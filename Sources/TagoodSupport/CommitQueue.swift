import Dispatch

#if canImport(Glibc)
import Glibc
#endif

/// Finishes atomic writes off the caller's thread: `fsync` each written temporary file, `rename` it over
/// its target, in the order they were queued, and `fsync` each directory once at the end.
///
/// For loops that write one file per item on every core (the reducer's partials): the `fsync` is a wait
/// for the disk, and on the caller's thread it would leave a core idle for every file. With the queue
/// the disk works while the cores compute the next items. Each file still becomes visible under its name
/// only whole and durable (``AtomicFile``'s protocol, the directory synced before ``finish()`` returns);
/// a process killed meanwhile leaves temporary files, which the next run deletes, and the files
/// committed so far.
public final class CommitQueue: Sendable {
    private let queue = DispatchQueue(label: "tagood.commit-queue")
    private let state = Locked(State())

    private struct State {
        var firstError: FileError?
        /// One committed path per directory, whose directory ``finish()`` syncs.
        var inDirectories: [String: String] = [:]
    }

    public init() {}

    /// Writes `bytes` to a temporary file beside `path` now, and queues its `fsync` and rename over
    /// `path`; `then` runs on the queue once the file is in place (to delete what it replaces, say).
    /// After a failure, later commits are skipped and their temporary files deleted.
    public func write(
        _ bytes: [UInt8], to path: String, mode: mode_t = 0o644,
        then: @escaping @Sendable () -> Void = {}
    ) throws(FileError) {
        commit(temporary: try AtomicFile.writeTemporary(bytes, for: path, mode: mode), to: path, then: then)
    }

    /// Queues the `fsync` of `temporary`, a file written completely (``AtomicFile/writeTemporary(for:mode:sync:_:)``),
    /// and its rename over `path`; `then` runs on the queue once the file is in place. After a failure,
    /// later commits are skipped and their temporary files deleted.
    public func commit(temporary: String, to path: String, then: @escaping @Sendable () -> Void = {}) {
        queue.async { [state] in
            guard state.withLock({ $0.firstError == nil }) else {
                unlink(temporary)
                return
            }
            do throws(FileError) {
                try AtomicFile.sync(path: temporary)
                try AtomicFile.commit(temporary: temporary, to: path, syncDirectory: false)
                state.withLock { $0.inDirectories[Path.directory(of: path)] = path }
                then()
            } catch {
                unlink(temporary)
                state.withLock { if $0.firstError == nil { $0.firstError = error } }
            }
        }
    }

    /// Waits for every queued commit, `fsync`s the directories they renamed into, and throws the first
    /// failure. Call it once, after the last ``write(_:to:mode:then:)``, even when the loop failed.
    public func finish() throws(FileError) {
        queue.sync {}
        let (error, paths) = state.withLock { ($0.firstError, $0.inDirectories.values.sorted()) }
        if let error { throw error }
        for path in paths { try AtomicFile.syncDirectory(containing: path) }
    }
}
