#if canImport(Glibc)
import Glibc
#endif

/// A file-system operation that failed, with the path and the system's reason.
public struct FileError: TagoodError {
    /// What was being done.
    public enum Operation: String, Sendable {
        case open, create, read, write, sync, rename, remove, list, stat
        /// Refused: not a regular file (a FIFO, a device, a socket, a folder), so reading it could block.
        case notRegular = "not-regular"
        /// Refused: the file is, or grew, larger than the caller's limit.
        case tooLarge = "too-large"
    }

    public let operation: Operation
    public let path: String
    public let errno: Int32
    /// Why, when it is not a system error (`errno` 0): what the file is, or its size and the limit.
    public let detail: String?

    public init(_ operation: Operation, path: String, errno: Int32, detail: String? = nil) {
        self.operation = operation
        self.path = path
        self.errno = errno
        self.detail = detail
    }

    public var code: String { "file.\(operation.rawValue)" }

    public var subject: String? { FileName.display(path) }

    public var description: String {
        switch operation {
        case .notRegular:
            return "refused \(FileName.display(path)): it is \(detail ?? "not a regular file"), not a regular file"
        case .tooLarge:
            return "refused \(FileName.display(path)): too large (\(detail ?? "over the limit"))"
        default:
            return "cannot \(operation.rawValue) \(FileName.display(path)): \(String(cString: strerror(errno)))"
        }
    }
}
