import Foundation
import TagoodSupport

/// `plan.json`: the plan, every image list and every shard boundary, so that a relaunch or `resume`
/// rebuilds the exact same shards without rescanning.
///
/// ```json
/// {
///   "schema_version": 1,
///   "created_by": "tagood/0.1.0",
///   "plan_hash": "5b0e…",
///   "images_per_shard": 1000,
///   "datasets": [
///     { "name": "imagenet-val", "role": "id-val", "layout": "imagefolder", "root": "/data/imagenet/val",
///       "list_file": null, "hash": "91c2…", "image_count": 50000, "skipped_files": 0,
///       "classes": ["n01440764", …],
///       "shards": [[0, 0, 1000], [1, 1000, 1000], …],          // [index, first image, count]
///       "images": [["n01440764/ILSVRC2012_val_00000293.JPEG", 0], …] }   // [path, label]
///   ]
/// }
/// ```
extension ShardPlan {
    /// The plan as `plan.json` bytes. The output depends only on the plan, so equal plans give equal files.
    public func jsonBytes() -> [UInt8] {
        var out = JSONWriter()
        out.raw("{\n  \"schema_version\": \(Self.schemaVersion),\n  \"created_by\": ")
        out.string(TagoodVersion.createdBy)
        out.raw(",\n  \"plan_hash\": ")
        out.string(hash)
        out.raw(",\n  \"images_per_shard\": \(imagesPerShard),\n  \"datasets\": [")
        for (d, dataset) in datasets.enumerated() {
            out.raw(d == 0 ? "\n    {" : ",\n    {")
            out.raw("\n      \"name\": "); out.string(dataset.spec.name)
            out.raw(",\n      \"role\": "); out.string(dataset.spec.role.rawValue)
            out.raw(",\n      \"layout\": "); out.string(dataset.spec.layout.rawValue)
            out.raw(",\n      \"root\": "); out.string(dataset.spec.root)
            out.raw(",\n      \"list_file\": ")
            if let list = dataset.spec.listFile { out.string(list) } else { out.raw("null") }
            out.raw(",\n      \"hash\": "); out.string(dataset.hash)
            out.raw(",\n      \"image_count\": \(dataset.images.count)")
            out.raw(",\n      \"skipped_files\": \(dataset.images.skippedFiles)")
            out.raw(",\n      \"classes\": [")
            for (i, name) in dataset.images.classes.enumerated() {
                if i > 0 { out.raw(", ") }
                out.string(name)
            }
            out.raw("],\n      \"shards\": [")
            for (i, shard) in dataset.shards.enumerated() {
                out.raw(i == 0 ? "\n        " : ",\n        ")
                out.raw("[\(shard.index), \(shard.start), \(shard.count)]")
            }
            out.raw("\n      ],\n      \"images\": [")
            for i in 0..<dataset.images.count {
                out.raw(i == 0 ? "\n        [" : ",\n        [")
                out.string(dataset.images.paths[i])
                out.raw(", \(dataset.images.labels[i])]")
            }
            out.raw("\n      ]\n    }")
        }
        out.raw("\n  ]\n}\n")
        return out.bytes
    }

    /// Writes `plan.json` atomically (temporary file, fsync, rename).
    public func write(to path: String) throws(FileError) {
        try AtomicFile.write(jsonBytes(), to: path)
    }

    /// Reads a `plan.json`, re-deriving the hashes and checking them against the recorded ones, so a
    /// hand-edited or damaged plan is caught before any work is assigned from it.
    public static func load(path: String) throws(DatasetError) -> ShardPlan {
        let bytes = try ListFileReader.readWholeFile(path)
        let file: PlanFile
        do {
            file = try JSONDecoder().decode(PlanFile.self, from: Data(bytes))
        } catch {
            throw DatasetError(.badPlan, "\(path) is not a valid plan.json (\(error)); delete it to re-plan the job")
        }
        guard file.schema_version == schemaVersion else {
            throw DatasetError(.badPlan, "\(path) has plan schema version \(file.schema_version); this tagood reads version \(schemaVersion)")
        }
        var datasets: [PlannedDataset] = []
        for d in file.datasets {
            guard let role = DatasetRole(rawValue: d.role), let layout = DatasetLayout(rawValue: d.layout) else {
                throw DatasetError(.badPlan, "\(path): dataset \(d.name) has an unknown role '\(d.role)' or layout '\(d.layout)'")
            }
            let spec = DatasetSpec(name: d.name, role: role, layout: layout, root: d.root, listFile: d.list_file)
            let images = ImageList(paths: d.images.map(\.path), labels: d.images.map(\.label),
                                   classes: d.classes, skippedFiles: d.skipped_files)
            let planned = try plan(spec, images: images, imagesPerShard: file.images_per_shard)
            let recordedShards = d.shards.map { ShardRange(index: $0[0], start: $0[1], count: $0[2]) }
            guard planned.hash == d.hash, planned.shards == recordedShards, d.image_count == images.count else {
                throw DatasetError(.badPlan, "\(path): dataset \(d.name) does not match its recorded hash or shards; the file was edited or damaged — delete it to re-plan")
            }
            datasets.append(planned)
        }
        let plan = try ShardPlan(imagesPerShard: file.images_per_shard, datasets: datasets)
        guard plan.hash == file.plan_hash else {
            throw DatasetError(.badPlan, "\(path): plan hash \(file.plan_hash) does not match its content (\(plan.hash)); delete it to re-plan")
        }
        return plan
    }
}

/// The decoded form of `plan.json`.
private struct PlanFile: Decodable {
    struct Dataset: Decodable {
        var name: String
        var role: String
        var layout: String
        var root: String
        var list_file: String?
        var hash: String
        var image_count: Int
        var skipped_files: Int
        var classes: [String]
        var shards: [[Int]]
        var images: [Image]
    }

    struct Image: Decodable {
        var path: String
        var label: Int32
        init(from decoder: Decoder) throws {
            var c = try decoder.unkeyedContainer()
            path = try c.decode(String.self)
            label = try c.decode(Int32.self)
        }
    }

    var schema_version: Int
    var plan_hash: String
    var images_per_shard: Int
    var datasets: [Dataset]
}

/// A minimal JSON byte writer: raw fragments and escaped strings.
struct JSONWriter {
    var bytes: [UInt8] = []

    mutating func raw(_ s: String) { bytes.append(contentsOf: s.utf8) }

    mutating func string(_ s: String) {
        bytes.append(UInt8(ascii: "\""))
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "\""): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case UInt8(ascii: "\n"): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case UInt8(ascii: "\t"): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case UInt8(ascii: "\r"): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"),
                                          hex[Int(b >> 4)], hex[Int(b & 15)]])
            default: bytes.append(b)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }
}
