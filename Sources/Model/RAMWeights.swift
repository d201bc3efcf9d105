import TagoodSupport
import Tensor

/// One parameter a configuration needs: its RAM state-dict name, shape and how random weights start.
public struct ParameterSpec: Sendable, Equatable {
    public enum Initialization: Sendable, Equatable {
        /// Truncated-normal-like, std 0.02 (timm's Swin and BERT initialisation).
        case normal
        case zeros
        case ones
        /// Every element this value (RAM++'s `reweight_scale`, `log(1 / 0.07)`).
        case constant(Float)
    }

    public let name: String
    public let shape: [Int]
    public let initialization: Initialization

    public var elementCount: Int { shape.reduce(1, *) }
}

/// A buffer that may be in a PyTorch checkpoint but is derived from the config (checked when present).
public enum DerivedBuffer: Sendable, Equatable {
    case relativePositionIndex(window: Int)
    case attentionMask(resolution: Int, window: Int, shift: Int)
}

extension RAMConfig {
    /// Every parameter of the model, in a fixed order, under RAM's state-dict names.
    public var parameterSpecs: [ParameterSpec] {
        var specs: [ParameterSpec] = []
        func add(_ name: String, _ shape: [Int], _ initialization: ParameterSpec.Initialization) {
            specs.append(ParameterSpec(name: name, shape: shape, initialization: initialization))
        }
        func linear(_ prefix: String, out: Int, in inF: Int, bias: Bool = true) {
            add(prefix + ".weight", [out, inF], .normal)
            if bias { add(prefix + ".bias", [out], .zeros) }
        }
        func norm(_ prefix: String, _ width: Int) {
            add(prefix + ".weight", [width], .ones)
            add(prefix + ".bias", [width], .zeros)
        }
        let v = vision, e = v.embedDim, p = v.patchSize
        add("visual_encoder.patch_embed.proj.weight", [e, v.inputChannels, p, p], .normal)
        add("visual_encoder.patch_embed.proj.bias", [e], .zeros)
        norm("visual_encoder.patch_embed.norm", e)
        for i in 0..<v.depths.count {
            let c = v.width(stage: i), w = v.window(stage: i)
            for j in 0..<v.depths[i] {
                let b = "visual_encoder.layers.\(i).blocks.\(j)"
                norm(b + ".norm1", c)
                add(b + ".attn.relative_position_bias_table", [(2 * w - 1) * (2 * w - 1), v.numHeads[i]], .normal)
                linear(b + ".attn.qkv", out: 3 * c, in: c)
                linear(b + ".attn.proj", out: c, in: c)
                norm(b + ".norm2", c)
                linear(b + ".mlp.fc1", out: v.mlpRatio * c, in: c)
                linear(b + ".mlp.fc2", out: c, in: v.mlpRatio * c)
            }
            if i < v.depths.count - 1 {
                norm("visual_encoder.layers.\(i).downsample.norm", 4 * c)
                linear("visual_encoder.layers.\(i).downsample.reduction", out: 2 * c, in: 4 * c, bias: false)
            }
        }
        norm("visual_encoder.norm", v.visionWidth)
        let h = head
        linear("image_proj", out: h.encoderWidth, in: v.visionWidth)
        add("label_embed", [h.numTags * h.tagger.descriptionsPerTag, h.encoderWidth], .normal)
        if case .ramPlus = h.tagger { add("reweight_scale", [], .constant(Tagger.initialReweightScale)) }
        linear("wordvec_proj", out: h.hiddenSize, in: h.encoderWidth)
        for l in 0..<h.numLayers {
            let b = "tagging_head.encoder.layer.\(l)"
            linear(b + ".crossattention.self.query", out: h.hiddenSize, in: h.hiddenSize)
            linear(b + ".crossattention.self.key", out: h.hiddenSize, in: h.encoderWidth)
            linear(b + ".crossattention.self.value", out: h.hiddenSize, in: h.encoderWidth)
            linear(b + ".crossattention.output.dense", out: h.hiddenSize, in: h.hiddenSize)
            norm(b + ".crossattention.output.LayerNorm", h.hiddenSize)
            linear(b + ".intermediate.dense", out: h.intermediateSize, in: h.hiddenSize)
            linear(b + ".output.dense", out: h.hiddenSize, in: h.intermediateSize)
            norm(b + ".output.LayerNorm", h.hiddenSize)
        }
        linear("fc", out: 1, in: h.hiddenSize)
        return specs
    }

    /// The derivable buffers a PyTorch Swin state dict carries, by name.
    public var derivedBuffers: [String: DerivedBuffer] {
        var out: [String: DerivedBuffer] = [:]
        for i in 0..<vision.depths.count {
            let w = vision.window(stage: i), r = vision.resolution(stage: i)
            for j in 0..<vision.depths[i] {
                let b = "visual_encoder.layers.\(i).blocks.\(j)"
                out[b + ".attn.relative_position_index"] = .relativePositionIndex(window: w)
                let s = vision.shift(stage: i, block: j)
                if s > 0 { out[b + ".attn_mask"] = .attentionMask(resolution: r, window: w, shift: s) }
            }
        }
        return out
    }

    /// The number of parameters (elements of all ``parameterSpecs``).
    public var parameterCount: Int { parameterSpecs.reduce(0) { $0 + $1.elementCount } }
}

extension RAMConfig {
    /// This config with the tagger a checkpoint's tensors show: RAM++ when it has `reweight_scale` and a
    /// `label_embed` whose rows are a whole multiple (more than one) of the tag count; RAM otherwise.
    public func recognizingTagger(of stateDict: StateDict) -> RAMConfig {
        var config = self
        config.head.tagger = .ram
        if stateDict.tensors["reweight_scale"] != nil, let labels = stateDict.tensors["label_embed"],
            labels.shape.count == 2, labels.shape[0] > head.numTags, labels.shape[0] % head.numTags == 0
        {
            config.head.tagger = .ramPlus(descriptionsPerTag: labels.shape[0] / head.numTags)
        }
        return config
    }
}

/// A complete, shape-checked set of float32 weights for one configuration.
public struct RAMWeights: Sendable {
    public let config: RAMConfig
    /// Parameters by RAM state-dict name.
    public var tensors: [String: Tensor]

    /// Weights from an opened checkpoint: every parameter must be present with its shape and a float
    /// type; derivable buffers, when present, must agree with the config; other tensors are ignored.
    /// The tagger is recognised from the tensors (``RAMConfig/recognizingTagger(of:)``): a RAM++ checkpoint
    /// needs no flag.
    public init(config given: RAMConfig, stateDict: StateDict) throws(ModelError) {
        let config = given.recognizingTagger(of: stateDict)
        self.config = config
        var tensors: [String: Tensor] = [:]
        for spec in config.parameterSpecs {
            if spec.name.hasSuffix("relative_position_bias_table"), let stored = stateDict.tensors[spec.name],
                stored.shape != spec.shape, stored.shape.count == 2, stored.shape[1] == spec.shape[1]
            {
                let side = Int(Double(stored.shape[0]).squareRoot().rounded())
                if side * side == stored.shape[0], side % 2 == 1 {
                    throw .windowMismatch(
                        name: spec.name, expectedShape: spec.shape, foundShape: stored.shape,
                        configWindow: (Int(Double(spec.shape[0]).squareRoot().rounded()) + 1) / 2,
                        checkpointWindow: (side + 1) / 2, file: stateDict.path)
                }
            }
            tensors[spec.name] = try stateDict.tensor(spec.name, shape: spec.shape)
        }
        for (name, buffer) in config.derivedBuffers {
            guard let stored = stateDict.tensors[name] else { continue }
            try RAMWeights.check(buffer, name: name, stored: stored, path: stateDict.path)
        }
        self.tensors = tensors
    }

    /// Weights from tensors already in memory (checked like a checkpoint).
    public init(config: RAMConfig, tensors: [String: Tensor]) throws(ModelError) {
        for spec in config.parameterSpecs {
            guard let t = tensors[spec.name] else {
                throw .missingTensor(name: spec.name, expectedShape: spec.shape, file: "(memory)")
            }
            guard t.shape == spec.shape else {
                throw .shapeMismatch(name: spec.name, expectedShape: spec.shape, foundShape: t.shape, file: "(memory)")
            }
        }
        self.config = config
        self.tensors = tensors
    }

    private static func check(
        _ buffer: DerivedBuffer, name: String, stored: StoredTensor, path: String
    ) throws(ModelError) {
        switch buffer {
        case .relativePositionIndex(let w):
            let want = Windows.relativePositionIndex(windowSize: w)
            guard stored.shape == [w * w, w * w] else {
                throw .bufferMismatch(
                    name: name, file: path, reason: "shape \(stored.shape), expected \([w * w, w * w]) for window \(w)")
            }
            guard let values = stored.integers(), values.elementsEqual(want.lazy.map(Int64.init)) else {
                throw .bufferMismatch(name: name, file: path, reason: "values differ from Swin's index for window \(w)")
            }
        case let .attentionMask(r, w, s):
            let want = Windows.shiftedWindowMask(height: r, width: r, windowSize: w, shift: s)
            guard stored.shape == want.shape else {
                throw .bufferMismatch(
                    name: name, file: path,
                    reason: "shape \(stored.shape), expected \(want.shape) for resolution \(r), window \(w), shift \(s)"
                )
            }
            let values = try stored.floats(name: name)
            guard values == want.scalars else {
                throw .bufferMismatch(
                    name: name, file: path, reason: "values differ from the shifted-window mask for shift \(s)")
            }
        }
    }

    /// Deterministic random weights: each tensor draws from its own stream seeded by (seed, name), so
    /// the values do not depend on the order of the parameters.
    public static func random(config: RAMConfig, seed: UInt64) -> RAMWeights {
        var tensors: [String: Tensor] = [:]
        for spec in config.parameterSpecs {
            switch spec.initialization {
            case .zeros: tensors[spec.name] = Tensor(shape: spec.shape, repeating: 0)
            case .ones: tensors[spec.name] = Tensor(shape: spec.shape, repeating: 1)
            case .constant(let value): tensors[spec.name] = Tensor(shape: spec.shape, repeating: value)
            case .normal:
                var rng = SplitMix64(seed: XXH64.hash(Array(spec.name.utf8), seed: seed))
                tensors[spec.name] = Tensor(shape: spec.shape) { out in
                    for i in 0..<out.count { out[i] = rng.truncatedNormal() * 0.02 }
                }
            }
        }
        return try! RAMWeights(config: config, tensors: tensors)
    }

    /// The number of parameters.
    public var parameterCount: Int { config.parameterCount }

    /// A hash of the weights that does not depend on the file format: XXH64 over, for each parameter in
    /// sorted name order, the name, a zero byte, the shape (little-endian Int64s) and the float32 values.
    public func canonicalHash() -> String {
        var h = XXH64()
        for name in tensors.keys.sorted() {
            let t = tensors[name]!
            h.update(name)
            h.update(integer: UInt8(0))
            for d in t.shape { h.update(integer: Int64(d)) }
            t.withUnsafeBufferPointer { h.update(UnsafeRawBufferPointer($0)) }
        }
        return h.hexDigest()
    }

    /// Writes the weights as safetensors (in spec order), with the config in the metadata.
    public func write(to path: String, dtype: DType = .f32, metadata extra: [String: String] = [:]) throws(ModelError) {
        let entries = config.parameterSpecs.map {
            Safetensors.Entry(name: $0.name, tensor: tensors[$0.name]!, dtype: dtype)
        }
        var metadata = extra
        metadata["format"] = "pt"
        metadata["tagood_config"] = config.json
        try Safetensors.write(entries, metadata: metadata, to: path)
    }
}

/// SplitMix64: a tiny, fast, well-mixed 64-bit generator (Steele, Lea & Flood 2014).
