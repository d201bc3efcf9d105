import TagoodSupport

#if canImport(Glibc)
import Glibc
#endif

/// Where each image of a dataset read from tars lies: its tar, the offset of its data in the tar file and
/// its size, one entry per image in plan order. `plan` builds it in one pass per tar and writes it beside
/// `plan.json` (``ArchiveIndexFile``); workers read each image with one `pread` at its offset.
public struct ArchiveIndex: Sendable, Equatable {
    /// One tar file, as it was when it was indexed.
    public struct Tar: Sendable, Equatable, Codable {
        /// The tar's path (as the dataset root names it).
        public var path: String
        /// Its size in bytes and its modification time (nanoseconds since the epoch) when indexed: a tar
        /// that no longer has both is refused (``ArchiveIndex/checkUnchanged()``).
        public var size: UInt64
        public var modified: Int64

        enum CodingKeys: String, CodingKey { case path, size, modified = "mtime_ns" }

        public init(path: String, size: UInt64, modified: Int64) {
            self.path = path
            self.size = size
            self.modified = modified
        }

        /// A `stat` time as nanoseconds since the epoch.
        static func nanoseconds(_ t: timespec) -> Int64 { Int64(t.tv_sec) * 1_000_000_000 + Int64(t.tv_nsec) }

        /// Why the file at ``path`` is no longer the one indexed, or nil when its size and mtime match.
        public func change() -> String? {
            var st = stat()
            guard FileName.withCString(path, { stat($0, &st) }) == 0 else {
                return "it is gone (\(String(cString: strerror(errno))))"
            }
            return change(size: UInt64(st.st_size), modified: Self.nanoseconds(st.st_mtim))
        }

        /// Why a file of this size and mtime is not the one indexed, or nil when it is.
        func change(size: UInt64, modified: Int64) -> String? {
            if size != self.size { return "its size is \(size) bytes, not the \(self.size) indexed" }
            if modified != self.modified {
                return "its modification time changed (\(modified) ns, indexed \(self.modified) ns)"
            }
            return nil
        }

        /// The error for a tar that changed after planning.
        func changedError(_ change: String) -> DatasetError {
            DatasetError(
                .archiveChanged,
                "tar \(FileName.display(path)) changed after the plan indexed it: \(change); the index no longer says where its images lie",
                subject: path,
                remedy: "restore the tar as it was, or plan the job again in a new job directory")
        }
    }

    /// One image's place.
    public struct Location: Sendable, Equatable {
        public var tar: UInt32
        public var offset: UInt64
        public var size: UInt64

        public init(tar: UInt32, offset: UInt64, size: UInt64) {
            self.tar = tar
            self.offset = offset
            self.size = size
        }
    }

    public var tars: [Tar]
    /// One per image, in plan order.
    public var locations: [Location]

    public init(tars: [Tar], locations: [Location]) {
        self.tars = tars
        self.locations = locations
    }

    /// Refuses a tar whose size or modification time is no longer what was indexed, naming it.
    public func checkUnchanged() throws(DatasetError) {
        for tar in tars {
            if let change = tar.change() { throw tar.changedError(change) }
        }
    }

    /// The index's file, relative to the folder of `plan.json`: `tar-index/<dataset>.tarindex`.
    public static func relativeFile(dataset: String) -> String {
        "tar-index/\(dataset)" + ArchiveIndexFile.fileExtension
    }

    /// The index file of `dataset` beside the plan file `planFile`.
    public static func file(besidePlan planFile: String, dataset: String) -> String {
        Path.join(Path.directory(of: planFile), relativeFile(dataset: dataset))
    }
}
