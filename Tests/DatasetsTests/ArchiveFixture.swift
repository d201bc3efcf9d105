import Datasets
import Foundation
import TagoodSupport
import TagoodTestSupport

/// A folder of distinct files and the tars made of them, for the tar-layout tests.
struct ArchiveFixture {
    let dir: TemporaryDirectory
    var root: String { dir.path }

    init() throws { dir = try TemporaryDirectory(prefix: "tagood-tars") }

    /// Writes a file of distinct bytes (its path in them, then filler) under `src/`.
    @discardableResult
    func file(_ relative: String, size: Int = 700) throws -> [UInt8] {
        var bytes = Array(relative.utf8)
        while bytes.count < size { bytes.append(UInt8(truncatingIfNeeded: bytes.count &* 7 &+ relative.utf8.count)) }
        try TarMaker.write(bytes, to: root + "/src/" + relative)
        return bytes
    }

    /// The bytes of `src/<relative>`.
    func bytes(_ relative: String) throws -> [UInt8] {
        Array(try Data(contentsOf: URL(fileURLWithPath: root + "/src/" + relative)))
    }

    /// Packs members of `src/` into `<root>/<name>`.
    @discardableResult
    func tar(_ name: String, _ writer: TarMaker.Writer, _ members: [String]) throws -> String {
        let out = root + "/" + name
        try FileManager.default.createDirectory(
            atPath: (out as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try TarMaker.pack(out, writer: writer, base: root + "/src", members: members)
        return out
    }

    /// Plans `spec` and writes the plan (and its tar index) under `<root>/job/plan.json`.
    func plan(_ specs: [DatasetSpec], perShard: Int = 2) throws -> (ShardPlan, String) {
        let plan = try ShardPlan.make(datasets: specs, imagesPerShard: perShard)
        let file = root + "/job/plan.json"
        try FileManager.default.createDirectory(atPath: root + "/job", withIntermediateDirectories: true)
        try plan.write(to: file)
        return (plan, file)
    }

    /// Every image of `dataset`, read shard by shard as a worker reads them.
    func readAll(_ dataset: PlannedDataset, planFile: String) throws -> [[UInt8]] {
        var all: [[UInt8]] = []
        for shard in dataset.shards {
            let reader = try ArchiveShardReader(
                indexFile: ArchiveIndex.file(besidePlan: planFile, dataset: dataset.spec.name),
                shardIndex: shard.index, paths: Array(dataset.images.paths[shard.images]))
            for i in 0..<reader.count { all.append(try reader.bytes(of: i, limit: 1 << 20)) }
        }
        return all
    }

    /// The error a throwing call gives, as text (its code and message), or "no error".
    static func error(_ body: () throws -> Void) -> String {
        do { try body() } catch let error as DatasetError { return "\(error.code): \(error.description)" } catch {
            return "\(error)"
        }
        return "no error"
    }
}
