#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import TagoodSupport

/// The few file-system operations the generator needs, as ``DemoDataError``s.
enum DemoFiles {
    /// Creates `path` and any missing parents (`mkdir -p`).
    static func makeDirectories(_ path: String) throws(DemoDataError) {
        do {
            try FileSystem.makeDirectories(path)
        } catch {
            throw DemoDataError(.unwritable, "cannot create the folder \(error.path): \(String(cString: strerror(error.errno)))")
        }
    }

    /// Whether `path` is a folder with no entries, or does not exist.
    static func isAbsentOrEmpty(_ path: String) -> Bool {
        guard let dir = opendir(path) else { return errno == ENOENT }
        defer { closedir(dir) }
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(cString: raw.baseAddress!.assumingMemoryBound(to: CChar.self))
            }
            if name != "." && name != ".." { return false }
        }
        return true
    }

    /// Writes `bytes` to `path` atomically (``AtomicFile``).
    static func write(_ bytes: [UInt8], to path: String) throws(DemoDataError) {
        do {
            try AtomicFile.write(bytes, to: path)
        } catch {
            throw DemoDataError(.unwritable, "cannot write \(path): \(error)")
        }
    }
}
