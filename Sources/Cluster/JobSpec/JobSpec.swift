import Datasets
import Extract
import Shards
import TagoodSupport

#if canImport(Glibc)
import Glibc
import Launch
#endif

/// A job file (`jobs/<name>.yaml`): what to extract and how. Relative paths are resolved against the
/// folder of the job file.
///
/// ```yaml
/// job: imagenet-val                 # the job directory is <output>/<job>
/// output: ../out
/// model:
///   config: swin_l_384              # built-in name, a RAM-format .json, or decode-only (no model)
///   weights: ../models/ram_swin_large_14m.pth
///   tags: ../data/ram/ram_tag_list.txt
/// class_tags: ../data/ram/imagenet_class_tags.txt   # class → tag map (the ID tag set)
/// datasets:
///   - {name: imagenet-val, role: id-val, layout: imagefolder, root: /data/imagenet/val}
///   - {name: inaturalist, role: ood, layout: list, root: /data/ood/iNaturalist, list: /data/ood/iNaturalist.txt}
/// extract:                          # all optional; these are the defaults
///   images_per_shard: 1000
///   token_dtype: f16                # f16 | f32
///   compression: none               # none | gzip-1 … gzip-9
///   tag_threshold: 0.5
///   attention_threshold: 0.5
///   batch_size: 8
///   decode_threads: 2
///   max_pixels: 89478485
///   all_tag_probs: false            # true: also store every tag's probability (all_tag_probs)
/// ```
public struct JobSpec: Sendable, Equatable {
    public struct ModelSpec: Sendable, Equatable {
        /// The config that runs no model: images are decoded and preprocessed and written without
        /// tokens. It checks a dataset and measures the cluster's own overhead.
        public static let decodeOnly = "decode-only"

        /// A built-in config name, a path to a RAM-format JSON config, or `decode-only`.
        public var config: String
        public var weights: String
        public var tags: String
    }

    public var name: String
    /// The folder job directories go in; the job directory is `output/name`.
    public var output: String
    public var model: ModelSpec
    public var classTags: String?
    public var datasets: [DatasetSpec]
    public var extract: ExtractionSettings
    /// The file it was read from.
    public var file: String

    /// Whether the job runs no model (``ModelSpec/decodeOnly``).
    public var isDecodeOnly: Bool { model.config == ModelSpec.decodeOnly }

    /// The job directory.
    public var directory: String { Path.join(output, name) }

    /// Reads and checks a job file: unknown keys, bad values and missing dataset roots are errors that
    /// name the file, line and key.
    /// - Parameter checkPaths: whether dataset roots and list files must exist (turn off only to check
    ///   a job file's structure on a machine without the data).
    public static func load(path: String, checkPaths: Bool = true) throws(ConfigError) -> JobSpec {
        try parse(ConfigNode.readText(path, what: "job file"), file: path, checkPaths: checkPaths)
    }

    /// Parses job-file text; `file` names it in errors and anchors relative paths.
    public static func parse(_ text: String, file: String, checkPaths: Bool = true) throws(ConfigError) -> JobSpec {
        let base = Path.absolute(Path.directory(of: file))
        func resolve(_ path: String) -> String { Path.normalize(path.hasPrefix("/") ? path : Path.join(base, path)) }

        let root = try ConfigNode.parse(text, file: file)
        let top = try root.mapping(allowed: ["job", "output", "model", "class_tags", "datasets", "extract"])
        let nameNode = try top.required("job")
        let name = try nameNode.string()
        guard ShardPlan.isValidFolderName(name) else {
            throw nameNode.error(
                "'\(name)' must be ASCII letters, digits, '-', '_' or '.', and not '.' or '..' (it names the job directory under output)"
            )
        }
        var output = resolve("out")
        if let node = top.optional("output") { output = resolve(try node.string()) }

        let modelNode = try top.required("model")
        let m = try modelNode.mapping(allowed: ["config", "weights", "tags"])
        let configName = try m.required("config").string()
        let model: ModelSpec
        if configName == ModelSpec.decodeOnly {
            model = ModelSpec(config: configName, weights: "", tags: "")
        } else {
            model = ModelSpec(
                config: configName.hasSuffix(".json") ? resolve(configName) : configName,
                weights: resolve(try m.required("weights").string()),
                tags: resolve(try m.required("tags").string()))
        }
        var classTags: String? = nil
        if let node = top.optional("class_tags") { classTags = resolve(try node.string()) }

        var datasets: [DatasetSpec] = []
        for node in try top.required("datasets").sequence() {
            let d = try node.mapping(allowed: ["name", "role", "layout", "root", "list", "group"])
            let roleNode = try d.required("role")
            guard let role = DatasetRole(rawValue: try roleNode.string()) else {
                throw roleNode.error("must be one of \(DatasetRole.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            let layoutNode = try d.optional("layout")
            let layoutName = try layoutNode?.string() ?? (role == .ood ? "nested" : "imagefolder")
            guard let layout = DatasetLayout(rawValue: layoutName) else {
                throw (layoutNode ?? node).error(
                    "layout must be one of \(DatasetLayout.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            let rootNode = try d.required("root")
            let datasetRoot = resolve(try rootNode.string())
            if checkPaths { try checkRoot(datasetRoot, layout: layout, node: rootNode) }
            var list: String? = nil
            if let listNode = d.optional("list") {
                list = resolve(try listNode.string())
                guard !checkPaths || access(list!, R_OK) == 0 else {
                    throw listNode.error("list file \(list!) cannot be read")
                }
            }
            if layout == .list && list == nil { throw node.error("layout 'list' needs a 'list' file") }
            if layout != .list && layout != .tar && list != nil {
                throw node.error("'list' is only used with layout 'list' or 'tar'")
            }
            var group: String?
            if let groupNode = d.optional("group") {
                group = try groupNode.string()
                guard let g = group, !g.isEmpty, !g.contains(where: { $0.isNewline || $0 == "," }) else {
                    throw groupNode.error("must be a name on one line, without commas (near, far, …)")
                }
                guard role == .ood else { throw groupNode.error("only OOD datasets are grouped in the report") }
            }
            if role != .ood && classTags == nil {
                throw roleNode.error("ID datasets need the job's 'class_tags' map (the ID tag set)")
            }
            let datasetName = try d.required("name").string()
            if datasets.contains(where: { $0.name == datasetName }) {
                throw node.error("dataset name '\(datasetName)' is used twice")
            }
            datasets.append(
                DatasetSpec(
                    name: datasetName, role: role, layout: layout, root: datasetRoot, listFile: list, group: group))
        }
        guard !datasets.isEmpty else { throw root.error("'datasets' lists no dataset") }
        if configName != ModelSpec.decodeOnly && classTags == nil {
            throw root.error(
                "'class_tags' is required: TagOOD selects every image's tokens against the ID classes' tags")
        }

        var settings = ExtractionSettings()
        if let extractNode = top.optional("extract") {
            let e = try extractNode.mapping(allowed: [
                "images_per_shard", "token_dtype", "compression", "tag_threshold",
                "attention_threshold", "batch_size", "decode_threads", "max_pixels",
                "all_tag_probs"
            ])
            func positive(_ key: String, _ value: inout Int, atMost limit: Int, why: String) throws(ConfigError) {
                guard let node = e.optional(key) else { return }
                value = try node.int()
                guard value > 0 else { throw node.error("must be at least 1") }
                guard value <= limit else { throw node.error("must be at most \(limit): \(why)") }
            }
            func fraction(_ key: String, _ value: inout Double) throws(ConfigError) {
                guard let node = e.optional(key) else { return }
                value = try node.double()
                guard value >= 0 && value < 1 else { throw node.error("must be in [0, 1)") }
            }
            try positive(
                "images_per_shard", &settings.imagesPerShard, atMost: 1_000_000,
                why: "a shard is the unit of retry; a bigger one costs too much work when it fails")
            try positive(
                "batch_size", &settings.batchSize, atMost: 1024, why: "two batches of decoded images are held in memory"
            )
            try positive(
                "decode_threads", &settings.decodeThreads, atMost: 256,
                why: "more decode threads than cores only adds contention")
            try positive(
                "max_pixels", &settings.maxPixels, atMost: 1 << 31, why: "larger images cannot be decoded in memory")
            try fraction("tag_threshold", &settings.tagThreshold)
            try fraction("attention_threshold", &settings.attentionThreshold)
            if let node = e.optional("token_dtype") {
                let name = try node.string()
                guard ["f16", "f32"].contains(name), let dtype = TokenDType(name: name) else {
                    throw node.error("must be f16 or f32")
                }
                settings.tokenDType = dtype
            }
            if let node = e.optional("all_tag_probs") {
                settings.allTagProbs = try node.bool()
                if settings.allTagProbs && configName == ModelSpec.decodeOnly {
                    throw node.error("needs a model: a decode-only job computes no tags")
                }
            }
            if let node = e.optional("compression") {
                let value = try node.string()
                if value == "none" {
                    settings.gzipLevel = nil
                } else if value.hasPrefix("gzip-"), let level = Int(value.dropFirst(5)), (1...9).contains(level) {
                    settings.gzipLevel = level
                } else {
                    throw node.error("must be none or gzip-1 … gzip-9")
                }
            }
        }
        return JobSpec(
            name: name, output: output, model: model, classTags: classTags, datasets: datasets,
            extract: settings, file: file)
    }

    /// A loose dataset's root must be a folder; a tar dataset's a tar, a folder, or a glob whose folder
    /// part exists (the tars it matches are found when planning).
    private static func checkRoot(_ root: String, layout: DatasetLayout, node: ConfigNode) throws(ConfigError) {
        var st = stat()
        guard layout.readsArchives else {
            guard stat(root, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR else {
                throw node.error("dataset root \(root) does not exist or is not a directory")
            }
            return
        }
        let checked = ArchiveRoot.isPattern(root) ? (try? ArchiveRoot.resolve(root).base) ?? root : root
        guard stat(checked, &st) == 0, [S_IFDIR, S_IFREG].contains(st.st_mode & S_IFMT) else {
            throw node.error(
                ArchiveRoot.isPattern(root)
                    ? "dataset root \(root) matches no tar file"
                    : "dataset root \(root) is neither a tar file nor a folder")
        }
    }
}
