#if canImport(Glibc)
import Glibc
#endif

/// Small file-system operations shared by the modules.
public enum FileSystem {
    /// Creates `path` and any missing parents (`mkdir -p`).
    public static func makeDirectories(_ path: String, mode: mode_t = 0o755) throws(FileError) {
        var current = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            current += "/" + component
            if FileName.withCString(current, { mkdir($0, mode) }) != 0 && errno != EEXIST {
                throw FileError(.create, path: current, errno: errno)
            }
        }
    }

    /// One entry of a folder, as `readdir` reports it.
    public struct Entry: Sendable, Equatable {
        /// The name (never `.` or `..`), escaped by ``FileName`` when it is not UTF-8.
        public var name: String
        /// Whether `readdir` says it is a folder, a regular file, or does not say (`DT_UNKNOWN`, some
        /// file systems): then ask `stat`.
        public var kind: Kind

        public enum Kind: Sendable, Equatable { case folder, file, other, unknown }
    }

    /// The entries of a folder, unsorted, without `.` and `..`. The one `readdir` loop of tagood.
    public static func entries(_ path: String) throws(FileError) -> [Entry] {
        guard let dir = FileName.withCString(path, { opendir($0) }) else {
            throw FileError(.list, path: path, errno: errno)
        }
        defer { closedir(dir) }
        var entries: [Entry] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                FileName.decode(raw.prefix { $0 != 0 })
            }
            if name == "." || name == ".." { continue }
            let kind: Entry.Kind
            switch Int32(entry.pointee.d_type) {
            case Int32(DT_DIR): kind = .folder
            case Int32(DT_REG): kind = .file
            case Int32(DT_UNKNOWN): kind = .unknown
            default: kind = .other
            }
            entries.append(Entry(name: name, kind: kind))
        }
        return entries
    }

    /// The names in a folder, sorted by their UTF-8 bytes; empty when it does not exist or cannot be read.
    public static func list(_ path: String) -> [String] {
        ((try? entries(path)) ?? []).map(\.name).sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }

    /// Whether anything exists at `path` (a dangling link counts as absent).
    public static func exists(_ path: String) -> Bool { FileName.withCString(path) { access($0, F_OK) } == 0 }

    /// The size of a file in bytes, or nil when it cannot be `stat`ed.
    public static func size(_ path: String) -> Int? {
        var info = stat()
        guard FileName.withCString(path, { stat($0, &info) }) == 0 else { return nil }
        return Int(info.st_size)
    }
}
