#if canImport(Glibc)
import Glibc
#endif

/// A file-system operation that failed, with the path and the system's reason.
public struct FileError: TagoodError {
    /// What was being done.
    public enum Operation: String, Sendable {
        case open, create, read, write, sync, rename, remove, list, stat
    }

    public let operation: Operation
    public let path: String
    public let errno: Int32

    public init(_ operation: Operation, path: String, errno: Int32) {
        self.operation = operation
        self.path = path
        self.errno = errno
    }

    public var code: String { "file.\(operation.rawValue)" }

    public var subject: String? { FileName.display(path) }

    public var description: String {
        "cannot \(operation.rawValue) \(FileName.display(path)): \(String(cString: strerror(errno)))"
    }
}
