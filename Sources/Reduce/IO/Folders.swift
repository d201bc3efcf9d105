import TagoodSupport
#if canImport(Glibc)
import Glibc
#endif

/// Directory helpers for the reduce outputs.
enum Folders {
    /// `mkdir -p`.
    static func make(_ path: String) throws(ReduceError) {
        var current = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            current += "/" + component
            if mkdir(current, 0o755) != 0 && errno != EEXIST {
                throw ReduceError(.write, "cannot create the folder \(current): \(String(cString: strerror(errno)))")
            }
        }
    }

    /// The names in a folder (without `.` and `..`); empty when it does not exist.
    static func list(_ path: String) -> [String] {
        guard let dir = opendir(path) else { return [] }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(cString: raw.baseAddress!.assumingMemoryBound(to: CChar.self))
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }
}
