import Foundation
import TagoodSupport

/// `plan.json`: the plan, every image list and every shard boundary, so that a relaunch or `resume`
/// rebuilds the exact same shards without rescanning.
///
/// The file is one line of JSON with sorted keys (shown here spread out); tagood 0.1.0 wrote the same
/// keys pretty-printed, and both read the same.
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
///
/// A dataset may also carry `"group": "near"` (its report group, in no hash) and, for the tar layouts,
/// `"archive_index": {"file": "tar-index/<dataset>.tarindex", "checksum": "…"}`: the index beside the
/// plan (``ArchiveIndexFile``), whose checksum is in the dataset's hash.
extension ShardPlan {
    /// The plan as `plan.json` bytes (`JSONEncoder`, sorted keys, one line: 1.4 s for ImageNet train's
    /// 1.28M images, once per job). The output depends only on the plan, so equal plans give equal files.
    public func jsonBytes() -> [UInt8] {
        let file = PlanFile(
            created_by: TagoodVersion.createdBy, schema_version: Self.schemaVersion, plan_hash: hash,
            images_per_shard: imagesPerShard,
            datasets: datasets.map { d in
                PlanFile.Dataset(
                    name: d.spec.name, role: d.spec.role.rawValue, layout: d.spec.layout.rawValue, root: d.spec.root,
                    list_file: d.spec.listFile, group: d.spec.group,
                    archive_index: d.archiveChecksum.map {
                        PlanFile.ArchiveIndexRef(file: ArchiveIndex.relativeFile(dataset: d.spec.name), checksum: $0)
                    }, hash: d.hash, image_count: d.images.count,
                    skipped_files: d.images.skippedFiles, hidden_entries: d.images.hiddenEntries,
                    classes: d.images.classes,
                    shards: d.shards.map { [$0.index, $0.start, $0.count] },
                    images: zip(d.images.paths, d.images.labels).map { PlanFile.Image(path: $0, label: $1) })
            })
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Strings and integers always encode.
        return Array(try! encoder.encode(file)) + [UInt8(ascii: "\n")]
    }

    /// Writes `plan.json` atomically (temporary file, fsync, rename), after the tar indexes beside it
    /// (`tar-index/<dataset>.tarindex`, each atomic too): the plan is the commit point.
    public func write(to path: String) throws(FileError) {
        for dataset in datasets {
            guard let bytes = dataset.archiveIndexBytes(imagesPerShard: imagesPerShard) else { continue }
            let file = ArchiveIndex.file(besidePlan: path, dataset: dataset.spec.name)
            try FileSystem.makeDirectories(Path.directory(of: file))
            try AtomicFile.write(bytes, to: file)
        }
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
            throw DatasetError(
                .badPlan,
                "\(path) has plan schema version \(file.schema_version); this tagood reads version \(schemaVersion)")
        }
        var datasets: [PlannedDataset] = []
        for d in file.datasets {
            guard let role = DatasetRole(rawValue: d.role), let layout = DatasetLayout(rawValue: d.layout) else {
                throw DatasetError(
                    .badPlan, "\(path): dataset \(d.name) has an unknown role '\(d.role)' or layout '\(d.layout)'")
            }
            let spec = DatasetSpec(
                name: d.name, role: role, layout: layout, root: d.root, listFile: d.list_file, group: d.group)
            let images = ImageList(
                paths: d.images.map(\.path), labels: d.images.map(\.label),
                classes: d.classes, skippedFiles: d.skipped_files, hiddenEntries: d.hidden_entries ?? 0)
            var archive: ArchiveIndex?
            if let ref = d.archive_index {
                guard layout.readsArchives, ref.file == ArchiveIndex.relativeFile(dataset: d.name) else {
                    throw DatasetError(
                        .badPlan,
                        "\(path): dataset \(d.name) names tar index \(ref.file), not its own; delete it to re-plan")
                }
                archive = try ArchiveIndexFile.read(
                    path: ArchiveIndex.file(besidePlan: path, dataset: d.name), checksum: ref.checksum,
                    paths: images.paths)
            } else if layout.readsArchives {
                throw DatasetError(
                    .badPlan, "\(path): dataset \(d.name) reads tars but has no tar index; delete it to re-plan")
            }
            let planned = try plan(spec, images: images, imagesPerShard: file.images_per_shard, archive: archive)
            guard d.shards.allSatisfy({ $0.count == 3 }) else {
                throw DatasetError(
                    .badPlan,
                    "\(path): dataset \(d.name) has a shard that is not [index, first image, count]; the file was edited or damaged — delete it to re-plan"
                )
            }
            let recordedShards = d.shards.map { ShardRange(index: $0[0], start: $0[1], count: $0[2]) }
            guard planned.hash == d.hash, planned.shards == recordedShards, d.image_count == images.count else {
                throw DatasetError(
                    .badPlan,
                    "\(path): dataset \(d.name) does not match its recorded hash or shards; the file was edited or damaged — delete it to re-plan"
                )
            }
            datasets.append(planned)
        }
        let plan = try ShardPlan(imagesPerShard: file.images_per_shard, datasets: datasets)
        guard plan.hash == file.plan_hash else {
            throw DatasetError(
                .badPlan,
                "\(path): plan hash \(file.plan_hash) does not match its content (\(plan.hash)); delete it to re-plan")
        }
        return plan
    }
}

/// The decoded form of `plan.json`.
struct PlanFile: Codable {
    struct Dataset: Codable {
        var name: String
        var role: String
        var layout: String
        var root: String
        var list_file: String?
        /// Absent when the dataset has none (and in plans before groups).
        var group: String?
        /// The tar layouts' index beside the plan.
        var archive_index: ArchiveIndexRef?
        var hash: String
        var image_count: Int
        var skipped_files: Int
        /// Absent in plans of tagood 0.1.0.
        var hidden_entries: Int?
        var classes: [String]
        var shards: [[Int]]
        var images: [Image]
    }

    /// `{"file": "tar-index/<dataset>.tarindex", "checksum": "<16 hex digits>"}`.
    struct ArchiveIndexRef: Codable {
        var file: String
        var checksum: String
    }

    /// `[path, label]`.
    struct Image: Codable {
        var path: String
        var label: Int32
        init(path: String, label: Int32) {
            self.path = path
            self.label = label
        }
        init(from decoder: Decoder) throws {
            var c = try decoder.unkeyedContainer()
            path = try c.decode(String.self)
            label = try c.decode(Int32.self)
        }
        func encode(to encoder: Encoder) throws {
            var c = encoder.unkeyedContainer()
            try c.encode(path)
            try c.encode(label)
        }
    }

    var created_by: String?
    var schema_version: Int
    var plan_hash: String
    var images_per_shard: Int
    var datasets: [Dataset]
}
