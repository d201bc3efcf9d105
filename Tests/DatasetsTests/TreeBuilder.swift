import Foundation
import TagoodSupport

#if canImport(Glibc)
import Glibc
#endif

/// Builds real directory trees of (empty) files for scanner tests.
struct TreeBuilder {
    let dir: TemporaryDirectory
    var root: String { dir.path }

    init() throws { dir = try TemporaryDirectory(prefix: "tagood-datasets") }

    /// Creates each file (and its folders) under the root.
    func files(_ relativePaths: [String]) throws {
        for relative in relativePaths {
            let url = URL(fileURLWithPath: root + "/" + relative)
            try FileManager.default.createDirectory(
                at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            _ = FileManager.default.createFile(atPath: url.path, contents: Data([0xFF, 0xD8]))
        }
    }

    /// Creates a folder whose name is the given bytes (which need not be UTF-8), relative to the root.
    func rawFolder(_ relative: [UInt8]) throws {
        let path = Array(root.utf8) + [UInt8(ascii: "/")] + relative + [0]
        let status = path.withUnsafeBufferPointer {
            $0.withMemoryRebound(to: CChar.self) { mkdir($0.baseAddress!, 0o755) }
        }
        guard status == 0 else { throw CocoaError(.fileWriteUnknown) }
    }

    /// Creates a file whose path is the given bytes, relative to the root.
    func rawFile(_ relative: [UInt8], contents: [UInt8]) throws {
        let path = Array(root.utf8) + [UInt8(ascii: "/")] + relative + [0]
        let fd = path.withUnsafeBufferPointer {
            $0.withMemoryRebound(to: CChar.self) { open($0.baseAddress!, O_CREAT | O_WRONLY, 0o644) }
        }
        guard fd >= 0 else { throw CocoaError(.fileWriteUnknown) }
        defer { close(fd) }
        guard contents.withUnsafeBytes({ Glibc.write(fd, $0.baseAddress, $0.count) }) == contents.count else {
            throw CocoaError(.fileWriteUnknown)
        }
    }

    func write(_ text: String, to relative: String) throws {
        try text.write(toFile: root + "/" + relative, atomically: true, encoding: .utf8)
    }
}
