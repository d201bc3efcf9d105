import Datasets
import TagoodSupport
#if canImport(Glibc)
import Glibc
#endif

/// The paths of a job directory, the contract between the stages (DESIGN.md):
///
///     <out>/<job>/job.yaml, plan.json, journal.jsonl, shards/<dataset>/shard-00042.h5, reduce/, report/
public struct JobDirectory: Sendable, Equatable {
    public let path: String

    public init(_ path: String) { self.path = path }

    public var jobFile: String { path + "/job.yaml" }
    public var planFile: String { path + "/plan.json" }
    public var journalFile: String { path + "/journal.jsonl" }
    public var coordinatorFile: String { path + "/coordinator.json" }
    public var shardsFolder: String { path + "/shards" }
    public var logsFolder: String { path + "/logs" }

    /// The absolute path of a path relative to the job directory.
    public func resolve(_ relative: String) -> String { path + "/" + relative }

    /// The committed path of a shard.
    public func shardFile(_ dataset: PlannedDataset, _ shard: ShardRange) -> String {
        resolve(dataset.relativePath(of: shard))
    }

    /// Creates the directory tree for a plan.
    public func create(for plan: ShardPlan) throws(FileError) {
        for folder in [logsFolder] + plan.datasets.map({ shardsFolder + "/" + $0.spec.name }) {
            try FileSystem.makeDirectories(folder)
        }
    }

    /// Whether the directory already holds a job.
    public var exists: Bool { access(planFile, F_OK) == 0 }

    /// Deletes temporary files (`*.tmp-*`) that killed writers left under `shards/`; returns how many.
    @discardableResult
    public func removeTemporaryFiles() -> Int {
        var removed = 0
        guard let top = opendir(shardsFolder) else { return 0 }
        defer { closedir(top) }
        while let entry = readdir(top) {
            let name = Self.name(entry)
            guard !name.hasPrefix(".") else { continue }
            let folder = shardsFolder + "/" + name
            guard let dir = opendir(folder) else { continue }
            while let file = readdir(dir) {
                let fileName = Self.name(file)
                if AtomicFile.isTemporary(fileName), unlink(folder + "/" + fileName) == 0 { removed += 1 }
            }
            closedir(dir)
        }
        return removed
    }

    private static func name(_ entry: UnsafeMutablePointer<dirent>) -> String {
        withUnsafeBytes(of: entry.pointee.d_name) { raw in
            String(cString: raw.baseAddress!.assumingMemoryBound(to: CChar.self))
        }
    }
}
