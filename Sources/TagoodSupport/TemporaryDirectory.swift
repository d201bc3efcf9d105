#if canImport(Glibc)
import Glibc
#endif

/// A fresh directory under `$TMPDIR` (or /tmp), removed with its content when the value is released.
/// Tests, benchmarks and the demo use it for scratch space.
public final class TemporaryDirectory: @unchecked Sendable {
    /// The absolute path of the directory.
    public let path: String
    private let keep: Bool

    /// Creates the directory. With `keep`, it is left in place on release (for debugging).
    public init(prefix: String = "tagood", keep: Bool = false) throws(FileError) {
        let base = getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp"
        var template = Array("\(base)/\(prefix)-XXXXXX".utf8CString)
        let made: String? = template.withUnsafeMutableBufferPointer { buffer in
            guard let result = mkdtemp(buffer.baseAddress!) else { return nil }
            return String(cString: result)
        }
        guard let made else { throw FileError(.create, path: "\(base)/\(prefix)-XXXXXX", errno: errno) }
        self.path = made
        self.keep = keep
    }

    deinit {
        if !keep { Self.removeTree(path) }
    }

    /// Removes a file or a directory tree, ignoring what is already gone.
    public static func removeTree(_ path: String) {
        var st = stat()
        guard lstat(path, &st) == 0 else { return }
        if (st.st_mode & S_IFMT) == S_IFDIR {
            for entry in (try? FileSystem.entries(path)) ?? [] { removeTree(path + "/" + entry.name) }
            rmdir(path)
        } else {
            unlink(path)
        }
    }
}
