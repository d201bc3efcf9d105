import TagoodSupport

/// Where one dataset's images come from.
public struct DatasetSpec: Sendable, Equatable {
    /// A short name, used as the folder name of its shards (`[A-Za-z0-9._-]`).
    public var name: String
    public var role: DatasetRole
    public var layout: DatasetLayout
    /// The folder image paths are relative to.
    public var root: String
    /// The list file, for the `.list` layout (optional for `.tar`: labels for a flat tar).
    public var listFile: String?
    /// The report group the dataset belongs to (`near`, `far`, any name): reports print each group's mean
    /// beside the per-set rows. It decides nothing about the images, so it is not in any hash.
    public var group: String?

    public init(
        name: String, role: DatasetRole, layout: DatasetLayout, root: String, listFile: String? = nil,
        group: String? = nil
    ) {
        self.name = name
        self.role = role
        self.layout = layout
        self.root = root
        self.listFile = listFile
        self.group = group
    }

    /// Scans the dataset's images. OOD images are labelled -1 whatever the layout says (an OOD set in
    /// class folders, like ImageNet-O, has no in-distribution class).
    public func scan(checkListedFilesExist: Bool = true) throws(DatasetError) -> ImageList {
        try scanWithIndex(checkListedFilesExist: checkListedFilesExist).images
    }

    /// Scans the dataset's images and, for the tar layouts, indexes where each lies in its tars (one pass
    /// over each tar's headers).
    public func scanWithIndex(
        checkListedFilesExist: Bool = true
    ) throws(DatasetError) -> (images: ImageList, archive: ArchiveIndex?) {
        var images: ImageList
        var archive: ArchiveIndex?
        switch layout {
        case .imageFolder, .nested:
            images = try DirectoryScanner.scan(root: root, layout: layout)
        case .list:
            guard let listFile else {
                throw DatasetError(.badPlan, "dataset \(name) has layout 'list' but no list file")
            }
            images = try ListFileReader.read(file: listFile, root: root, checkFilesExist: checkListedFilesExist)
        case .tar:
            (images, archive) = try TarLayoutScanner.scan(self)
        case .webdataset:
            (images, archive) = try WebDatasetScanner.scan(self)
        }
        if role == .ood {
            images.labels = [Int32](repeating: -1, count: images.count)
        }
        return (images, archive)
    }

    /// The spec without its report group: what decides the images.
    var withoutGroup: DatasetSpec {
        var spec = self
        spec.group = nil
        return spec
    }
}

/// A contiguous run of one dataset's images that is extracted, written and verified as a unit.
public struct ShardRange: Sendable, Equatable, Hashable, Codable {
    /// The shard's index within its dataset; stable as long as the plan hash is.
    public var index: Int
    /// The first image (an index into the dataset's ``ImageList``).
    public var start: Int
    /// How many images.
    public var count: Int

    public init(index: Int, start: Int, count: Int) {
        self.index = index
        self.start = start
        self.count = count
    }

    /// The image indices of this shard.
    public var images: Range<Int> { start..<(start + count) }

    /// `shard-00042.h5`: the file name under `shards/<dataset>/`.
    public var fileName: String { "shard-\(ShardRange.zeroPadded(index, width: 5)).h5" }

    /// `42` → `00042`.
    public static func padded(_ value: Int) -> String { zeroPadded(value, width: 5) }

    static func zeroPadded(_ value: Int, width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }
}

/// One dataset in a plan: its spec, its images and its shards.
public struct PlannedDataset: Sendable, Equatable {
    public var spec: DatasetSpec
    public var images: ImageList
    public var shards: [ShardRange]
    /// XXH64 (hex) over everything that decides this dataset's shard contents: name, role, shard size,
    /// classes, every path and label in order, and for tars the index's checksum. Shards record it; a
    /// changed list changes it.
    public var hash: String
    /// Where each image lies in its tars (the tar layouts), and the checksum of its index file.
    public var archive: ArchiveIndex?
    public var archiveChecksum: String?

    /// The index file's bytes (``ArchiveIndexFile``), nil for a dataset of loose files.
    public func archiveIndexBytes(imagesPerShard: Int) -> [UInt8]? {
        archive.map {
            ArchiveIndexFile.encode($0, dataset: spec.name, paths: images.paths, imagesPerShard: imagesPerShard)
        }
    }
}

/// The shard plan of a job: every dataset cut into fixed-size shards, with a hash that changes when any
/// list or the shard size changes. `plan.json` in the job directory records it.
public struct ShardPlan: Sendable, Equatable {
    /// The plan format written to `plan.json`.
    public static let schemaVersion = 1

    public var imagesPerShard: Int
    public var datasets: [PlannedDataset]
    /// XXH64 (hex) over the shard size and every dataset's hash, in order.
    public var hash: String

    /// Scans every dataset and cuts it into shards of `imagesPerShard` images (the last one may be
    /// smaller).
    ///
    /// - Parameter previous: the plan already in the job directory, if any: a tar dataset with the same
    ///   spec whose tars are the same files, each with the size and modification time it was indexed with,
    ///   keeps its index instead of reading every tar's headers again.
    public static func make(
        datasets specs: [DatasetSpec], imagesPerShard: Int,
        checkListedFilesExist: Bool = true, previous: ShardPlan? = nil
    ) throws(DatasetError) -> ShardPlan {
        var planned: [PlannedDataset] = []
        for spec in specs {
            if let reused = try previous?.reusableArchive(for: spec, imagesPerShard: imagesPerShard) {
                planned.append(reused)
                continue
            }
            let (images, archive) = try spec.scanWithIndex(checkListedFilesExist: checkListedFilesExist)
            planned.append(try plan(spec, images: images, imagesPerShard: imagesPerShard, archive: archive))
        }
        return try ShardPlan(imagesPerShard: imagesPerShard, datasets: planned)
    }

    /// This plan's dataset for `spec` when it is a tar dataset that need not be indexed again: the same
    /// spec (its group aside), the same tars, each unchanged.
    func reusableArchive(for spec: DatasetSpec, imagesPerShard: Int) throws(DatasetError) -> PlannedDataset? {
        guard spec.layout.readsArchives, imagesPerShard == self.imagesPerShard,
            var dataset = dataset(named: spec.name), let archive = dataset.archive,
            dataset.spec.withoutGroup == spec.withoutGroup, spec.listFile == nil,
            try ArchiveRoot.resolve(spec.root).tars.map(\.path) == archive.tars.map(\.path),
            archive.tars.allSatisfy({ $0.change() == nil })
        else { return nil }
        dataset.spec = spec
        return dataset
    }

    /// Cuts an already scanned dataset into shards; `archive` says where its images lie in tars.
    public static func plan(
        _ spec: DatasetSpec, images: ImageList, imagesPerShard: Int, archive: ArchiveIndex? = nil
    ) throws(DatasetError) -> PlannedDataset {
        guard imagesPerShard > 0 else {
            throw DatasetError(.badShardSize, "images_per_shard must be at least 1 (got \(imagesPerShard))")
        }
        try validateName(spec.name)
        guard images.count > 0 else {
            throw DatasetError(.empty, "dataset \(spec.name) (root \(spec.root)) has no images")
        }
        var shards: [ShardRange] = []
        var start = 0
        while start < images.count {
            let count = min(imagesPerShard, images.count - start)
            shards.append(ShardRange(index: shards.count, start: start, count: count))
            start += count
        }
        var dataset = PlannedDataset(spec: spec, images: images, shards: shards, hash: "", archive: archive)
        if let bytes = dataset.archiveIndexBytes(imagesPerShard: imagesPerShard) {
            dataset.archiveChecksum = ArchiveIndexFile.checksum(ofFile: bytes)
        }
        dataset.hash = datasetHash(
            spec, images: images, imagesPerShard: imagesPerShard, archiveChecksum: dataset.archiveChecksum)
        return dataset
    }

    /// Assembles a plan from planned datasets, checking that names are unique.
    public init(imagesPerShard: Int, datasets: [PlannedDataset]) throws(DatasetError) {
        var names = Set<String>()
        for dataset in datasets where !names.insert(dataset.spec.name).inserted {
            throw DatasetError(.badPlan, "two datasets are named '\(dataset.spec.name)'; dataset names must be unique")
        }
        self.imagesPerShard = imagesPerShard
        self.datasets = datasets
        var h = XXH64()
        h.update("tagood-plan-v\(Self.schemaVersion)\u{0}")
        h.update(integer: Int64(imagesPerShard))
        for dataset in datasets { h.update(dataset.hash) }
        self.hash = h.hexDigest()
    }

    /// The total number of images and shards.
    public var imageCount: Int { datasets.reduce(0) { $0 + $1.images.count } }
    public var shardCount: Int { datasets.reduce(0) { $0 + $1.shards.count } }

    /// The dataset called `name`.
    public func dataset(named name: String) -> PlannedDataset? {
        datasets.first { $0.spec.name == name }
    }

    /// Refuses, naming it, a tar whose size or modification time is no longer the one indexed: the
    /// index would send workers to the wrong bytes (`resume` checks this before any work).
    public func checkArchivesUnchanged() throws(DatasetError) {
        for dataset in datasets { try dataset.archive?.checkUnchanged() }
    }

    /// Each dataset's report group, by name.
    public var groups: [String: String] {
        Dictionary(uniqueKeysWithValues: datasets.compactMap { d in d.spec.group.map { (d.spec.name, $0) } })
    }

    /// Whether `name` can name a folder of its own (a dataset, a job): letters, digits, `.`, `_` and `-`,
    /// not empty, and neither `.` nor `..`.
    public static func isValidFolderName(_ name: String) -> Bool {
        let allowed = name.utf8.allSatisfy { b in
            (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A)
                || b == UInt8(ascii: "-") || b == UInt8(ascii: "_") || b == UInt8(ascii: ".")
        }
        return !name.isEmpty && allowed && name != "." && name != ".."
    }

    static func validateName(_ name: String) throws(DatasetError) {
        guard isValidFolderName(name) else {
            throw DatasetError(
                .badPlan, "dataset name '\(name)' must be letters, digits, '.', '_' or '-' (it names a folder)")
        }
    }

    static func datasetHash(
        _ spec: DatasetSpec, images: ImageList, imagesPerShard: Int, archiveChecksum: String?
    ) -> String {
        var h = XXH64()
        h.update("tagood-dataset-v\(Self.schemaVersion)\u{0}\(spec.name)\u{0}\(spec.role.rawValue)\u{0}")
        h.update(integer: Int64(imagesPerShard))
        h.update(integer: Int64(images.classes.count))
        for name in images.classes { h.update(name); h.update([0]) }
        h.update(integer: Int64(images.count))
        for (path, label) in zip(images.paths, images.labels) {
            h.update(path)
            h.update([0])
            h.update(integer: label)
        }
        if let archiveChecksum { // only for tars: the hashes of loose datasets stay what they were
            h.update("tar-index\u{0}\(archiveChecksum)")
        }
        return h.hexDigest()
    }
}
