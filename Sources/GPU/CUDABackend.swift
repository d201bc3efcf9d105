import CTagoodCUDA
import Extract
import Model
import TagoodSupport
import Tensor

/// RAM or RAM++ and TagOOD's token selection on one CUDA device, through libtagood_cuda (``CUDALibrary``).
///
/// The device runs the encoder, `image_proj` and the tagging head over the probability columns (the ID tags,
/// or every tag with `all_tag_probs`), then, once the host has chosen each image's tags from those
/// probabilities with the same ``TokenSelector`` rule as the CPU path, layer 0's attention, the token
/// selection, and the copy of only the kept rows. Two pipeline slots: the producer submits batch k + 1
/// (its upload and forward pass start at once) before it finishes batch k.
public final class CUDABackend: ExtractionBackend, @unchecked Sendable {
    /// The arithmetic the device uses.
    public enum Precision: String, Sendable, CaseIterable {
        /// bf16 weights and activations with fp32 accumulation; LayerNorm, softmax and sigmoid in fp32.
        case bf16
        /// fp32 everywhere, TF32 off (parity checks).
        case fp32

        var code: Int32 {
            switch self {
            case .bf16: Int32(TAGOOD_CUDA_BF16.rawValue)
            case .fp32: Int32(TAGOOD_CUDA_FP32.rawValue)
            }
        }
    }

    public let config: RAMConfig
    public let idTags: [Int]
    public let computesAllTags: Bool
    public let maxBatch: Int
    public let precision: Precision
    /// The device, as the library describes it.
    public let gpu: GPUDevice
    private let library: CUDALibrary
    private let context: OpaquePointer
    /// Every tag that is not an ID tag, ascending (asked about only for OOD images none of whose ID tags fired).
    private let otherTags: [Int32]
    /// The probability column of each ID tag (its position in ``idTags``).
    private let columnOfTag: [Int: Int32]
    /// Which of the two slots hold a submitted, unfinished batch.
    private var busy = [false, false]
    private var nextSlot = 0

    /// Builds the backend on device `device` (CUDA's numbering after `CUDA_VISIBLE_DEVICES`): uploads the
    /// weights once (converted on the device) and sizes the buffers for `maxBatch` images.
    public init(
        library: CUDALibrary, device: Int = 0, weights: RAMWeights, idTags: [Int], allTagProbs: Bool,
        precision: Precision = .bf16, maxBatch: Int
    ) throws(GPUError) {
        let sortedTags = Array(Set(idTags)).sorted()
        guard maxBatch >= 1 else { throw GPUError(.invalid, "the batch size must be at least 1 (got \(maxBatch))") }
        guard weights.config.vision.depths.count <= Int(TAGOOD_CUDA_MAX_STAGES) else {
            throw GPUError(
                .invalid, "the CUDA backend supports at most \(TAGOOD_CUDA_MAX_STAGES) Swin stages",
                subject: weights.config.name)
        }
        gpu = try library.describeDevice(device)
        self.library = library
        config = weights.config
        self.idTags = sortedTags
        computesAllTags = allTagProbs
        self.maxBatch = maxBatch
        self.precision = precision
        let ids = Set(sortedTags)
        otherTags = (0..<config.head.numTags).filter { !ids.contains($0) }.map(Int32.init)
        columnOfTag = Dictionary(uniqueKeysWithValues: sortedTags.enumerated().map { ($1, Int32($0)) })

        var modelConfig = Self.modelConfig(config)
        let feeder = WeightFeeder(weights.tensors)
        var message = [CChar](repeating: 0, count: 2048)
        var created: OpaquePointer?
        let tags = sortedTags.map(Int32.init)
        let status = tags.withUnsafeBufferPointer { tagBuffer in
            var options = tagood_cuda_options(
                device: Int32(device), precision: precision.code, max_batch: Int32(maxBatch),
                id_tags: tagBuffer.baseAddress, id_tag_count: Int32(tagBuffer.count), all_tags: allTagProbs ? 1 : 0)
            return withExtendedLifetime(feeder) {
                library.functions.create(
                    &modelConfig, &options, WeightFeeder.callback, Unmanaged.passUnretained(feeder).toOpaque(),
                    &created, &message, message.count)
            }
        }
        guard status == Int32(TAGOOD_CUDA_OK.rawValue), let created else {
            throw GPUError.from(status: status, message: String(cMessage: message), device: device)
        }
        context = created
    }

    deinit { library.functions.destroy(context) }

    public var device: String { "cuda:\(gpu.index) \(gpu) \(precision.rawValue)" }

    public func submit(_ images: Tensor) throws -> SubmittedBatch {
        let count = images.shape[0]
        guard count >= 1, count <= maxBatch else {
            throw GPUError(.invalid, "a batch of \(count) images; this backend takes 1 to \(maxBatch)")
        }
        let r = config.vision.imageResolution, c = config.vision.inputChannels
        guard images.shape == [count, c, r, r] else {
            throw GPUError(.invalid, "images have shape \(images.shape); the model expects [N, \(c), \(r), \(r)]")
        }
        let slot = nextSlot
        guard !busy[slot] else {
            throw GPUError(.invalid, "both pipeline slots are busy: finish a batch before submitting another")
        }
        try check(
            images.withUnsafeBufferPointer {
                library.functions.submit(context, Int32(slot), $0.baseAddress, Int32(count))
            })
        busy[slot] = true
        nextSlot = 1 - slot
        return SubmittedBatch(count: count, slot: slot)
    }

    public func finish(_ batch: SubmittedBatch, selector: TokenSelector) throws -> [ImageExtraction] {
        try checkSelector(selector)
        do {
            return try run(batch, selector: selector)
        } catch {
            discard(batch)
            throw error
        }
    }

    public func discard(_ batch: SubmittedBatch) {
        guard busy[batch.slot] else { return }
        // Finishing with no columns frees the slot; the outputs are thrown away.
        let n = batch.count, l1 = config.imageTokens, e = config.head.encoderWidth
        let offsets = [Int32](repeating: 0, count: n + 1), columns: [Int32] = [0]
        var attention = [Float](repeating: 0, count: n * l1), counts = [Int32](repeating: 0, count: n)
        var index = [Int16](repeating: 0, count: n * l1), tokens = [Float](repeating: 0, count: max(1, n * l1 * e))
        var global = [Float](repeating: 0, count: n * e)
        _ = library.functions.select(
            context, Int32(batch.slot), offsets, columns, 1, &attention, &counts, &index, &tokens, &global)
        busy[batch.slot] = false
    }

    private func run(_ batch: SubmittedBatch, selector: TokenSelector) throws -> [ImageExtraction] {
        guard busy[batch.slot] else { throw GPUError(.invalid, "slot \(batch.slot) holds no submitted batch") }
        let n = batch.count, numTags = config.head.numTags
        let columns = computesAllTags ? numTags : idTags.count
        var probs = [Float](repeating: 0, count: n * columns)
        try check(library.functions.probabilities(context, Int32(batch.slot), &probs))

        // The other tags, only for OOD images none of whose ID tags fired, in one device call.
        var othersFired = [Bool](repeating: false, count: n)
        if !computesAllTags && !selector.inDistribution && !otherTags.isEmpty {
            let needing = (0..<n).filter { i in
                !probs[(i * columns)..<((i + 1) * columns)].contains { $0 > selector.tagThreshold }
            }.map(Int32.init)
            if !needing.isEmpty {
                var fired = [UInt8](repeating: 0, count: needing.count)
                try check(
                    library.functions.tags_fire(
                        context, Int32(batch.slot), needing, Int32(needing.count), otherTags, Int32(otherTags.count),
                        selector.tagThreshold, &fired))
                for (i, image) in needing.enumerated() { othersFired[Int(image)] = fired[i] != 0 }
            }
        }

        var choices: [TokenSelector.TagChoice] = []
        var offsets: [Int32] = [0], chosenColumns: [Int32] = []
        for i in 0..<n {
            let row = probs[(i * columns)..<((i + 1) * columns)]
            let choice =
                try computesAllTags
                ? Array(row).withUnsafeBufferPointer { p throws(ExtractError) in try selector.chooseTags(probs: p) }
                : Array(row).withUnsafeBufferPointer { p in
                    try selector.chooseTags(idProbs: p) { othersFired[i] }
                }
            choices.append(choice)
            for tag in choice.tags {
                guard let column = computesAllTags ? Int32(tag) : columnOfTag[tag] else {
                    throw GPUError(.invalid, "tag \(tag) was chosen but is not a probability column")
                }
                chosenColumns.append(column)
            }
            offsets.append(Int32(chosenColumns.count))
        }

        let l1 = config.imageTokens, e = config.head.encoderWidth
        var attention = [Float](repeating: 0, count: n * l1), counts = [Int32](repeating: 0, count: n)
        var index = [Int16](repeating: 0, count: n * l1), tokens = [Float](repeating: 0, count: n * l1 * e)
        var global = [Float](repeating: 0, count: n * e)
        if chosenColumns.isEmpty { chosenColumns = [0] } // a valid pointer; no image reads it
        try check(
            library.functions.select(
                context, Int32(batch.slot), offsets, chosenColumns, Float(selector.attentionThreshold), &attention,
                &counts, &index, &tokens, &global))
        busy[batch.slot] = false

        var results: [ImageExtraction] = []
        results.reserveCapacity(n)
        var row = 0
        for i in 0..<n {
            let kept = Int(counts[i])
            guard kept >= 0, kept <= l1 else { throw GPUError(.invalid, "image \(i) kept \(kept) of \(l1) tokens") }
            results.append(
                ImageExtraction(
                    choice: choices[i], attention: Array(attention[(i * l1)..<((i + 1) * l1)]),
                    tokenIndex: index[(i * l1)..<(i * l1 + kept)].map(Int.init),
                    tokens: Array(tokens[(row * e)..<((row + kept) * e)]),
                    globalEmbed: Array(global[(i * e)..<((i + 1) * e)]),
                    allTagProbs: computesAllTags ? Array(probs[(i * columns)..<((i + 1) * columns)]) : []))
            row += kept
        }
        return results
    }

    /// Turns a library status into a thrown ``GPUError`` with the context's message.
    private func check(_ status: Int32) throws(GPUError) {
        guard status != Int32(TAGOOD_CUDA_OK.rawValue) else { return }
        let message = library.functions.last_error(context).map { String(cString: $0) } ?? "no message"
        throw GPUError.from(status: status, message: message, device: gpu.index)
    }

    /// The library's view of a RAM or RAM++ config.
    static func modelConfig(_ config: RAMConfig) -> tagood_cuda_model_config {
        var c = tagood_cuda_model_config()
        let v = config.vision, h = config.head
        c.image_resolution = Int32(v.imageResolution)
        c.patch_size = Int32(v.patchSize)
        c.input_channels = Int32(v.inputChannels)
        c.embed_dim = Int32(v.embedDim)
        c.stages = Int32(v.depths.count)
        withUnsafeMutableBytes(of: &c.depths) { raw in
            for (i, d) in v.depths.enumerated() { raw.storeBytes(of: Int32(d), toByteOffset: i * 4, as: Int32.self) }
        }
        withUnsafeMutableBytes(of: &c.num_heads) { raw in
            for (i, d) in v.numHeads.enumerated() { raw.storeBytes(of: Int32(d), toByteOffset: i * 4, as: Int32.self) }
        }
        c.window_size = Int32(v.windowSize)
        c.mlp_ratio = Int32(v.mlpRatio)
        c.layer_norm_eps = v.layerNormEps
        c.head_hidden = Int32(h.hiddenSize)
        c.head_heads = Int32(h.numHeads)
        c.head_layers = Int32(h.numLayers)
        c.head_intermediate = Int32(h.intermediateSize)
        c.encoder_width = Int32(h.encoderWidth)
        c.num_tags = Int32(h.numTags)
        c.head_layer_norm_eps = h.layerNormEps
        // RAM++ (more than one row per tag): the device reweights the descriptions per image.
        c.descriptions_per_tag = Int32(h.tagger.descriptionsPerTag)
        return c
    }
}

/// Hands the library one weight tensor at a time by name, as contiguous fp32 (the buffer lives until the
/// next call).
private final class WeightFeeder {
    let tensors: [String: Tensor]
    var current: UnsafeMutableBufferPointer<Float>?

    init(_ tensors: [String: Tensor]) { self.tensors = tensors }

    deinit { current?.deallocate() }

    static let callback: tagood_cuda_tensor_fn = { user, name, data, count in
        guard let user, let name, let data, let count else { return 1 }
        let feeder = Unmanaged<WeightFeeder>.fromOpaque(user).takeUnretainedValue()
        guard let tensor = feeder.tensors[String(cString: name)] else { return 1 }
        feeder.current?.deallocate()
        let copy = UnsafeMutableBufferPointer<Float>.allocate(capacity: max(1, tensor.count))
        tensor.withUnsafeBufferPointer { _ = copy.initialize(fromContentsOf: $0) }
        feeder.current = copy
        data.pointee = UnsafePointer(copy.baseAddress)
        count.pointee = Int64(tensor.count)
        return 0
    }
}

extension CUDABackend {
    /// Opens the library and checks that CUDA's device 0 is there (the worker's GPU, once
    /// `CUDA_VISIBLE_DEVICES` names it), before anything slow: throws at once, saying which is missing.
    /// Returns the maker of the backend for ``ModelProducer/load(config:weights:tags:classTags:settings:makeBackend:)``,
    /// with the job's `batch_size` as the batch.
    public static func prepare(
        library path: String?, precision: Precision
    ) throws(GPUError)
        -> ModelProducer
        .BackendMaker
    {
        let library = try CUDALibrary(path: path)
        _ = try library.describeDevice(0)
        return { weights, idTags, settings in
            try CUDABackend(
                library: library, device: 0, weights: weights, idTags: idTags, allTagProbs: settings.allTagProbs,
                precision: precision, maxBatch: max(1, settings.batchSize))
        }
    }
}
