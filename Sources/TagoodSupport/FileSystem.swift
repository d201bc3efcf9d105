#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Small file-system operations shared by the modules.
public enum FileSystem {
    /// Creates `path` and any missing parents (`mkdir -p`).
    public static func makeDirectories(_ path: String) throws(FileError) {
        var current = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            current += "/" + component
            if mkdir(current, 0o755) != 0 && errno != EEXIST { throw FileError(.create, path: current, errno: errno) }
        }
    }
}
