import Foundation
import TagoodSupport

/// Builds real directory trees of (empty) files for scanner tests.
struct TreeBuilder {
    let dir: TemporaryDirectory
    var root: String { dir.path }

    init() throws { dir = try TemporaryDirectory(prefix: "tagood-datasets") }

    /// Creates each file (and its folders) under the root.
    func files(_ relativePaths: [String]) throws {
        for relative in relativePaths {
            let url = URL(fileURLWithPath: root + "/" + relative)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            _ = FileManager.default.createFile(atPath: url.path, contents: Data([0xFF, 0xD8]))
        }
    }

    func write(_ text: String, to relative: String) throws {
        try text.write(toFile: root + "/" + relative, atomically: true, encoding: .utf8)
    }
}
