import TagoodSupport

#if canImport(Glibc)
import Glibc
#endif

/// The few file-system operations the generator needs, as ``DemoDataError``s.
enum DemoFiles {
    /// Creates `path` and any missing parents (`mkdir -p`).
    static func makeDirectories(_ path: String) throws(DemoDataError) {
        do {
            try FileSystem.makeDirectories(path)
        } catch {
            throw DemoDataError(
                .unwritable, "cannot create the folder \(error.path): \(String(cString: strerror(error.errno)))")
        }
    }

    /// Whether `path` is a folder with no entries, or does not exist.
    static func isAbsentOrEmpty(_ path: String) -> Bool {
        do { return try FileSystem.entries(path).isEmpty } catch { return error.errno == ENOENT }
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
