import Foundation
import TagoodSupport

/// Reading a generated tree back from disk, independently of the generator's own bookkeeping.
enum TreeReading {
    /// A fresh scratch folder path (not created), removed by the caller.
    static func scratchPath(_ name: String) -> String {
        NSTemporaryDirectory() + "/demodata-tests-\(name)-\(UUID().uuidString)"
    }

    /// Every regular file under `root`, relative to it, sorted.
    static func files(under root: String) throws -> [String] {
        let manager = FileManager.default
        guard let walker = manager.enumerator(atPath: root) else { return [] }
        var files: [String] = []
        while let relative = walker.nextObject() as? String {
            var isFolder: ObjCBool = false
            if manager.fileExists(atPath: root + "/" + relative, isDirectory: &isFolder), !isFolder.boolValue {
                files.append(relative)
            }
        }
        return files.sorted()
    }

    /// The bytes of a file.
    static func bytes(_ path: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    /// XXH64 of every file under `root`, by relative path.
    static func hashes(under root: String) throws -> [String: UInt64] {
        var hashes: [String: UInt64] = [:]
        for file in try files(under: root) {
            hashes[file] = XXH64.hash(try bytes(root + "/" + file))
        }
        return hashes
    }

    /// The sorted entries of a folder.
    static func entries(_ path: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: path).sorted()
    }
}
