import TagoodSupport
#if canImport(Glibc)
import Glibc
#endif

/// Directory helpers for the reduce outputs.
enum Folders {
    /// `mkdir -p`.
    static func make(_ path: String) throws(ReduceError) {
        do {
            try FileSystem.makeDirectories(path)
        } catch {
            throw ReduceError(.write, "cannot create the folder \(error.path): \(String(cString: strerror(error.errno)))")
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
