import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A small tmpfs the test mounts (root only), for filling a disk for real; unmounted when released.
public final class Tmpfs {
    public let path: String

    /// Whether this process may mount (tests that need a full disk run only then).
    public static var canMount: Bool { getuid() == 0 }

    /// Mounts `size` (such as `2m`) of tmpfs on `path`, creating the folder.
    public init(path: String, size: String) throws {
        self.path = path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        try Self.run("/bin/mount", ["-t", "tmpfs", "-o", "size=\(size)", "tmpfs", path])
    }

    deinit { try? Self.run("/bin/umount", ["-l", path]) }

    /// Bytes still free.
    public var freeBytes: Int {
        var info = statvfs()
        return statvfs(path, &info) == 0 ? Int(info.f_bavail) * Int(info.f_frsize) : 0
    }

    /// Writes a file that leaves `leave` bytes free (0: until the disk is full); returns its path.
    @discardableResult
    public func fill(leaving leave: Int = 0, name: String = "filler") -> String {
        let file = path + "/" + name
        let fd = open(file, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        defer { close(fd) }
        let chunk = [UInt8](repeating: 0xA5, count: 4096)
        while freeBytes > leave {
            let n = chunk.withUnsafeBytes { write(fd, $0.baseAddress, min($0.count, max(1, freeBytes - leave))) }
            if n <= 0 { break }
        }
        return file
    }

    private static func run(_ tool: String, _ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw NSError(
                domain: "Tmpfs", code: Int(process.terminationStatus),
                userInfo: [NSLocalizedDescriptionKey: "\(tool) \(arguments.joined(separator: " ")) failed"])
        }
    }
}
