import Foundation
import TagoodSupport

/// The Swin image encoder's hyper-parameters (RAM's `config_swin*_384.json`).
public struct SwinConfig: Sendable, Equatable {
    public var imageResolution: Int
    public var patchSize: Int = 4
    public var inputChannels: Int = 3
    public var embedDim: Int
    public var depths: [Int]
    public var numHeads: [Int]
    public var windowSize: Int
    public var mlpRatio: Int = 4
    /// LayerNorm epsilon of the encoder (PyTorch's default).
    public var layerNormEps: Float = 1e-5

    public init(
        imageResolution: Int, embedDim: Int, depths: [Int], numHeads: [Int], windowSize: Int, patchSize: Int = 4
    ) {
        self.imageResolution = imageResolution
        self.embedDim = embedDim
        self.depths = depths
        self.numHeads = numHeads
        self.windowSize = windowSize
        self.patchSize = patchSize
    }

    /// The channel width of the last stage (RAM's `vision_width`).
    public var visionWidth: Int { embedDim << (depths.count - 1) }
    /// The token-grid side of stage `i`.
    public func resolution(stage i: Int) -> Int { (imageResolution / patchSize) >> i }
    /// The channel width of stage `i`.
    public func width(stage i: Int) -> Int { embedDim << i }
    /// The window stage `i` really uses: the configured one, or the whole grid when that is not larger.
    public func window(stage i: Int) -> Int { min(windowSize, resolution(stage: i)) }
    /// The cyclic shift of block `j` of stage `i`: half a window on odd blocks, 0 when the window covers the grid.
    public func shift(stage i: Int, block j: Int) -> Int {
        (j % 2 == 1 && resolution(stage: i) > windowSize) ? windowSize / 2 : 0
    }
    /// The number of image tokens out of the encoder, before the pooled one is prepended.
    public var tokenCount: Int { let r = resolution(stage: depths.count - 1); return r * r }
}

/// Which tagger the head is: RAM, whose tag queries are fixed, or RAM++, whose queries depend on the image.
public enum Tagger: Sendable, Equatable {
    /// RAM (`ram_swin_large_14m.pth`): one `label_embed` row per tag; the queries are the same for every image.
    case ram
    /// RAM++ (`ram_plus_swin_large_14m.pth`): `descriptionsPerTag` rows per tag (51), mixed per image by the
    /// softmax of `exp(reweight_scale) · cls · label_embedᵀ` over a tag's descriptions (`ram_plus.py`).
    case ramPlus(descriptionsPerTag: Int)

    /// `label_embed` rows per tag.
    public var descriptionsPerTag: Int {
        switch self {
        case .ram: 1
        case .ramPlus(let d): d
        }
    }

    /// `ram` or `ram_plus` (the shard attribute and the JSON key's value).
    public var name: String {
        switch self {
        case .ram: "ram"
        case .ramPlus: "ram_plus"
        }
    }

    /// The reweighting's temperature at initialisation, `log(1 / 0.07)` (`ram_plus.py`).
    public static let initialReweightScale = Float(log(1 / 0.07))
}

/// The tagging head's hyper-parameters (RAM's `q2l_config.json`) and the tag vocabulary size.
public struct TaggingHeadConfig: Sendable, Equatable {
    public var hiddenSize: Int = 768
    public var numHeads: Int = 4
    public var numLayers: Int = 2
    public var intermediateSize: Int = 3072
    /// The width of `image_embeds` and `label_embed` (`image_proj`'s output).
    public var encoderWidth: Int = 512
    public var numTags: Int = 4585
    public var layerNormEps: Float = 1e-12
    /// RAM or RAM++ (recognised from a checkpoint's tensors: ``RAMWeights/init(config:stateDict:)``).
    public var tagger: Tagger = .ram

    public init(
        hiddenSize: Int = 768, numHeads: Int = 4, numLayers: Int = 2, intermediateSize: Int = 3072,
        encoderWidth: Int = 512, numTags: Int = 4585
    ) {
        self.hiddenSize = hiddenSize
        self.numHeads = numHeads
        self.numLayers = numLayers
        self.intermediateSize = intermediateSize
        self.encoderWidth = encoderWidth
        self.numTags = numTags
    }
}

/// A whole RAM model: encoder, `image_proj` and the tagging head.
public struct RAMConfig: Sendable, Equatable {
    /// A short name (the built-in's name, or the JSON file's `name` key or file name).
    public var name: String
    public var vision: SwinConfig
    public var head: TaggingHeadConfig

    public init(name: String, vision: SwinConfig, head: TaggingHeadConfig = TaggingHeadConfig()) {
        self.name = name
        self.vision = vision
        self.head = head
    }

    /// `image_embeds` rows per image: the pooled token plus the encoder's tokens (145 at 384 px).
    public var imageTokens: Int { vision.tokenCount + 1 }

    /// The model's name in shards and logs: the config's for RAM (`swin_l_384`), with `ram_plus_` before it
    /// for RAM++ (`ram_plus_swin_l_384`).
    public var modelName: String { head.tagger == .ram ? name : "\(head.tagger.name)_\(name)" }

    // MARK: Built-ins

    /// RAM's Swin-L/384 (`config_swinL_384.json`): the default.
    public static let swinL384 = RAMConfig(
        name: "swin_l_384",
        vision: SwinConfig(
            imageResolution: 384, embedDim: 192, depths: [2, 2, 18, 2], numHeads: [6, 12, 24, 48], windowSize: 12))
    /// RAM's Swin-B/384 (`config_swinB_384.json`).
    public static let swinB384 = RAMConfig(
        name: "swin_b_384",
        vision: SwinConfig(
            imageResolution: 384, embedDim: 128, depths: [2, 2, 18, 2], numHeads: [4, 8, 16, 32], windowSize: 12))
    /// Two stages: a shifted, masked 8×8 grid of 4×4 windows, then one 4×4 window; the smallest
    /// complete model (tests, the PyTorch-checkpoint fixtures).
    public static let testTiny = RAMConfig(
        name: "test_tiny",
        vision: SwinConfig(imageResolution: 32, embedDim: 8, depths: [2, 2], numHeads: [2, 2], windowSize: 4),
        head: TaggingHeadConfig(
            hiddenSize: 16, numHeads: 4, numLayers: 2, intermediateSize: 32, encoderWidth: 12, numTags: 10))
    /// Four stages with shifted windows and masks in the first two, a window equal to the grid in the
    /// third and a window that shrinks to the 3×3 grid in the last (tests).
    public static let testShift = RAMConfig(
        name: "test_shift",
        vision: SwinConfig(
            imageResolution: 96, embedDim: 8, depths: [2, 2, 2, 2], numHeads: [1, 2, 2, 4], windowSize: 6),
        head: TaggingHeadConfig(
            hiddenSize: 32, numHeads: 4, numLayers: 2, intermediateSize: 64, encoderWidth: 24, numTags: 24))
    /// Two stages, window 4 on a 16×16 then 8×8 grid, three blocks in the second stage (tests).
    public static let testSmall = RAMConfig(
        name: "test_small",
        vision: SwinConfig(imageResolution: 64, embedDim: 16, depths: [2, 3], numHeads: [2, 4], windowSize: 4),
        head: TaggingHeadConfig(
            hiddenSize: 32, numHeads: 4, numLayers: 2, intermediateSize: 48, encoderWidth: 32, numTags: 16))

    public static let builtins: [RAMConfig] = [swinL384, swinB384, testTiny, testShift, testSmall]

    /// A built-in by name (`swin_l_384`, `swin_b_384`, `test_tiny`, `test_shift`, `test_small`; `swin_l`/`swin_b` too).
    public static func builtin(named name: String) -> RAMConfig? {
        let aliases = [
            "swin_l": "swin_l_384", "swin_b": "swin_b_384", "swinL_384": "swin_l_384", "swinB_384": "swin_b_384"
        ]
        let key = aliases[name] ?? name
        return builtins.first { $0.name == key }
    }

    /// A built-in name, or the path of a RAM-format JSON file.
    public static func resolve(_ nameOrPath: String, numTags: Int? = nil) throws -> RAMConfig {
        var config: RAMConfig
        if let b = builtin(named: nameOrPath) {
            config = b
        } else if nameOrPath.hasSuffix(".json") || nameOrPath.contains("/") {
            let bytes: [UInt8]
            do { bytes = try FileBytes.read(nameOrPath) } catch { throw ModelError.io(error) }
            let base = Path.basename(of: nameOrPath)
            config = try parse(
                json: bytes, source: nameOrPath, defaultName: String(base.dropLast(base.hasSuffix(".json") ? 5 : 0)))
        } else {
            throw ModelError.invalidConfig(
                source: nameOrPath,
                reason: "not a built-in ("
                    + builtins.map(\.name).joined(separator: ", ") + ") and not a .json file")
        }
        if let numTags { config.head.numTags = numTags }
        try config.validate(source: nameOrPath)
        return config
    }

    /// Parses RAM's JSON format: `vision_width`, `image_res`, `window_size`, `embed_dim`, `depths`,
    /// `num_heads` (unknown keys such as `ckpt` are ignored), plus optional head keys in RAM's
    /// `q2l_config.json` names: `hidden_size`, `num_attention_heads`, `num_hidden_layers`,
    /// `intermediate_size`, `encoder_width`, and `num_tags` (also `num_class`), `patch_size`, `name`.
    public static func parse(json bytes: [UInt8], source: String, defaultName: String = "custom") throws -> RAMConfig {
        let file: JSONForm
        do {
            file = try JSONDecoder().decode(JSONForm.self, from: Data(bytes))
        } catch let error as DecodingError {
            if case .typeMismatch(let type, let context) = error, let key = context.codingPath.last?.stringValue {
                let what = type == Int.self ? "an integer" : "a list of integers"
                throw ModelError.invalidConfig(source: source, reason: "key \(key) must be \(what)")
            }
            if case .dataCorrupted(let context) = error, context.codingPath.isEmpty {
                throw ModelError.invalidConfig(source: source, reason: "invalid JSON: \(context.debugDescription)")
            }
            throw ModelError.invalidConfig(source: source, reason: "invalid JSON: \(Safetensors.describe(error))")
        }
        func required<T>(_ value: T?, _ key: String) throws -> T {
            guard let value else { throw ModelError.invalidConfig(source: source, reason: "missing key \(key)") }
            return value
        }
        var vision = SwinConfig(
            imageResolution: try required(file.image_res, "image_res"),
            embedDim: try required(file.embed_dim, "embed_dim"),
            depths: try required(file.depths, "depths"), numHeads: try required(file.num_heads, "num_heads"),
            windowSize: try required(file.window_size, "window_size"))
        if let p = file.patch_size { vision.patchSize = p }
        var head = TaggingHeadConfig()
        if let v = file.hidden_size { head.hiddenSize = v }
        if let v = file.num_attention_heads { head.numHeads = v }
        if let v = file.num_hidden_layers { head.numLayers = v }
        if let v = file.intermediate_size { head.intermediateSize = v }
        if let v = file.encoder_width { head.encoderWidth = v }
        if let v = file.num_tags ?? file.num_class { head.numTags = v }
        switch file.tagger {
        case nil, "ram": break
        case "ram_plus": head.tagger = .ramPlus(descriptionsPerTag: file.descriptions_per_tag ?? 51)
        case let other?:
            throw ModelError.invalidConfig(source: source, reason: "tagger '\(other)' is not ram or ram_plus")
        }
        let config = RAMConfig(name: file.name ?? defaultName, vision: vision, head: head)
        if let width = file.vision_width {
            guard width == vision.visionWidth else {
                throw ModelError.invalidConfig(
                    source: source,
                    reason: "vision_width \(width) does not match embed_dim "
                        + "\(vision.embedDim) × 2^(\(vision.depths.count) − 1) = \(vision.visionWidth)")
            }
        }
        try config.validate(source: source)
        return config
    }

    /// RAM's JSON config keys (`config_swinL_384.json` and `q2l_config.json` names); unknown keys such as
    /// `ckpt` are ignored.
    struct JSONForm: Codable {
        var name: String?
        var vision_width, image_res, window_size, embed_dim: Int?
        var depths, num_heads: [Int]?
        var patch_size, hidden_size, num_attention_heads, num_hidden_layers, intermediate_size, encoder_width: Int?
        var num_tags, num_class: Int?
        var tagger: String?
        var descriptions_per_tag: Int?
    }

    /// Checks that the numbers describe a buildable model.
    public func validate(source: String) throws {
        func bad(_ reason: String) -> ModelError { .invalidConfig(source: source, reason: reason) }
        let v = vision
        guard v.depths.count >= 1, v.depths.count == v.numHeads.count else {
            throw bad("depths \(v.depths) and num_heads \(v.numHeads) must be non-empty lists of the same length")
        }
        guard v.depths.allSatisfy({ $0 >= 1 }), v.patchSize >= 1, v.embedDim >= 1, v.windowSize >= 1 else {
            throw bad("depths, patch_size, embed_dim and window_size must be positive")
        }
        guard v.imageResolution % v.patchSize == 0 else {
            throw bad("image_res \(v.imageResolution) is not a multiple of patch_size \(v.patchSize)")
        }
        for i in 0..<v.depths.count {
            let r = v.resolution(stage: i)
            guard r >= 1, i == 0 || r * 2 == v.resolution(stage: i - 1) else {
                throw bad(
                    "image_res \(v.imageResolution) cannot be halved \(v.depths.count - 1) times after patch_size \(v.patchSize)"
                )
            }
            guard r % v.window(stage: i) == 0 else {
                throw bad("stage \(i): resolution \(r) is not a multiple of window_size \(v.windowSize)")
            }
            guard v.numHeads[i] >= 1, v.width(stage: i) % v.numHeads[i] == 0 else {
                throw bad("stage \(i): width \(v.width(stage: i)) is not divisible by num_heads \(v.numHeads[i])")
            }
        }
        guard head.hiddenSize >= 1, head.numHeads >= 1, head.hiddenSize % head.numHeads == 0 else {
            throw bad("hidden_size \(head.hiddenSize) is not divisible by num_attention_heads \(head.numHeads)")
        }
        guard head.numLayers >= 1, head.intermediateSize >= 1, head.encoderWidth >= 1, head.numTags >= 1 else {
            throw bad("num_hidden_layers, intermediate_size, encoder_width and num_tags must be positive")
        }
        guard (1...4096).contains(head.tagger.descriptionsPerTag) else {
            throw bad("descriptions_per_tag \(head.tagger.descriptionsPerTag) must be between 1 and 4096")
        }
    }

    /// The config in the JSON format ``parse(json:source:defaultName:)`` reads (stored in safetensors metadata).
    public var json: String {
        let form = JSONForm(
            name: name, vision_width: vision.visionWidth, image_res: vision.imageResolution,
            window_size: vision.windowSize, embed_dim: vision.embedDim, depths: vision.depths,
            num_heads: vision.numHeads, patch_size: vision.patchSize, hidden_size: head.hiddenSize,
            num_attention_heads: head.numHeads, num_hidden_layers: head.numLayers,
            intermediate_size: head.intermediateSize, encoder_width: head.encoderWidth, num_tags: head.numTags,
            tagger: head.tagger == .ram ? nil : head.tagger.name,
            descriptions_per_tag: head.tagger == .ram ? nil : head.tagger.descriptionsPerTag)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try! encoder.encode(form), as: UTF8.self) // plain strings and integers always encode
    }
}
