/// What `tagood model info` reports about a weights file: its format, hash, tensors, and how it fits a
/// RAM configuration (given, stored in the safetensors metadata, or inferred from the tensor shapes).
public struct CheckpointSummary: Sendable {
    public struct Mismatch: Sendable, Equatable {
        public let name: String
        public let expected: [Int]
        public let found: [Int]
    }

    public let path: String
    public let format: StateDict.Format
    public let fileBytes: Int
    /// XXH64 of the file's bytes.
    public let fileHash: String
    public let tensorCount: Int
    /// Elements over all tensors of the file.
    public let elementCount: Int
    /// Tensor count per stored type (`F32`, `F16`, …).
    public let dtypes: [String: Int]
    public let metadata: [String: String]
    public let config: RAMConfig?
    /// Where the config came from: `argument`, `metadata` or `inferred`.
    public let configSource: String?
    /// Parameters the config needs that the file lacks.
    public let missing: [String]
    public let mismatched: [Mismatch]
    /// Parameters stored in a type other than f32/f16/bf16.
    public let badTypes: [String]
    /// Tensors the model does not use (a real RAM checkpoint has its text decoder and more).
    public let extra: [String]
    /// Derivable buffers present (`relative_position_index`, `attn_mask`).
    public let derivedBufferCount: Int
    /// Canonical weights hash (``RAMWeights/canonicalHash()``) when the file is complete for the config.
    public let weightsHash: String?
    /// The error loading would give, if any.
    public let loadError: String?

    public var isComplete: Bool {
        config != nil && missing.isEmpty && mismatched.isEmpty && badTypes.isEmpty && loadError == nil
    }

    public static func inspect(
        path: String, config given: RAMConfig? = nil, hashWeights: Bool = true
    ) throws(ModelError) -> CheckpointSummary {
        let sd = try StateDict.load(path: path)
        var config = given
        var source: String? = given == nil ? nil : "argument"
        if config == nil, let json = sd.metadata["tagood_config"] {
            config = try? RAMConfig.parse(json: Array(json.utf8), source: "\(path) metadata")
            if config != nil { source = "metadata" }
        }
        if config == nil, let inferred = infer(sd) {
            config = inferred
            source = "inferred"
        }
        config = config?.recognizingTagger(of: sd)
        var dtypes: [String: Int] = [:]
        var elements = 0
        for t in sd.tensors.values {
            dtypes[t.dtype.rawValue, default: 0] += 1
            elements += t.elementCount
        }
        var missing: [String] = [], mismatched: [Mismatch] = [], badTypes: [String] = [], extra: [String] = []
        var derived = 0
        var hash: String?
        var loadError: String?
        if let config {
            let specs = config.parameterSpecs
            let specNames = Set(specs.map(\.name))
            let buffers = config.derivedBuffers
            for spec in specs {
                guard let t = sd.tensors[spec.name] else { missing.append(spec.name); continue }
                if t.shape != spec.shape {
                    mismatched.append(Mismatch(name: spec.name, expected: spec.shape, found: t.shape))
                }
                if !t.dtype.isWeightType { badTypes.append(spec.name) }
            }
            for name in sd.names where !specNames.contains(name) {
                if buffers[name] != nil { derived += 1 } else { extra.append(name) }
            }
            if missing.isEmpty && mismatched.isEmpty && badTypes.isEmpty {
                do {
                    let weights = try RAMWeights(config: config, stateDict: sd)
                    if hashWeights { hash = weights.canonicalHash() }
                } catch {
                    loadError = error.description
                }
            }
        } else {
            extra = sd.names
        }
        return CheckpointSummary(
            path: path, format: sd.format, fileBytes: sd.file.count, fileHash: sd.file.xxh64(),
            tensorCount: sd.tensors.count, elementCount: elements, dtypes: dtypes, metadata: sd.metadata,
            config: config, configSource: source, missing: missing, mismatched: mismatched, badTypes: badTypes,
            extra: extra, derivedBufferCount: derived, weightsHash: hash, loadError: loadError)
    }

    /// A built-in whose every parameter shape matches, with the tag count taken from `label_embed`.
    static func infer(_ sd: StateDict) -> RAMConfig? {
        for var candidate in RAMConfig.builtins {
            if let labels = sd.tensors["label_embed"], labels.shape.count == 2 {
                candidate.head.numTags = labels.shape[0]
                // RAM++ (`reweight_scale`): the released checkpoint has 51 descriptions per tag.
                if sd.tensors["reweight_scale"] != nil, labels.shape[0] % 51 == 0 {
                    candidate.head.numTags = labels.shape[0] / 51
                    candidate.head.tagger = .ramPlus(descriptionsPerTag: 51)
                }
            }
            let fits = candidate.parameterSpecs.allSatisfy { sd.tensors[$0.name]?.shape == $0.shape }
            if fits { return candidate }
        }
        return nil
    }
}
