import Foundation
import Imaging
import Model
import Shards
import TagoodSupport
import Tensor

#if canImport(Glibc)
import Glibc
#endif

/// The real producer: decode → batch → backend (RAM and the TagOOD selection) → shard writer.
///
/// Decoding and preprocessing of the next batch run on `decodeThreads` threads while the backend runs
/// the current one, and the backend holds one batch in flight: batch k + 1 is submitted before batch k is
/// finished and written, so a GPU computes while the host writes. At most three batches of images are in
/// memory, so memory stays flat whatever the shard size. Rows are written in the plan's order. An image that
/// cannot be read or decoded becomes a failed row with its error; it never fails the shard.
public final class ModelProducer: ShardProducer, @unchecked Sendable {
    public let backend: any ExtractionBackend
    public let modelName: String
    public let modelHash: String
    public var embedDim: Int { backend.config.head.encoderWidth }
    public var imageTokens: Int { backend.config.imageTokens }
    public var allTags: Int? { backend.computesAllTags ? backend.config.head.numTags : nil }
    public var device: String? { backend.device }
    private let settings: ExtractionSettings
    private let transform: TagOODTransform
    /// The decode threads (a pool of their own: the model's kernels use `WorkerPool.shared` meanwhile).
    private let decodePool: WorkerPool

    /// Makes the backend a producer runs on from the loaded weights and the ID tags (the CPU's by default;
    /// a GPU worker passes the CUDA backend's).
    public typealias BackendMaker =
        @Sendable (_ weights: RAMWeights, _ idTags: [Int], _ settings: ExtractionSettings) throws ->
        any ExtractionBackend

    /// The CPU backend (``CPUBackend``).
    public static let cpuBackend: BackendMaker = { weights, idTags, settings in
        CPUBackend(model: RAMModel(weights: weights), idTags: idTags, allTagProbs: settings.allTagProbs)
    }

    /// - Parameters:
    ///   - backend: where RAM runs, built for the ID tags (from the class → tag map) and `settings.allTagProbs`.
    ///   - modelHash: the identity the coordinator checks (``ModelIdentity/hash(weightsFile:)``).
    public init(backend: any ExtractionBackend, modelHash: String, settings: ExtractionSettings) throws(ExtractError) {
        let numTags = backend.config.head.numTags
        guard !backend.idTags.isEmpty else {
            throw ExtractError(.badInput, "the ID tag set is empty: give the class → tag map of the ID classes")
        }
        if let bad = backend.idTags.first(where: { $0 < 0 || $0 >= numTags }) {
            throw ExtractError(
                .badInput,
                "ID tag \(bad) is outside the model's \(numTags) tags: the class → tag map and the tag list do not belong together"
            )
        }
        guard backend.computesAllTags == settings.allTagProbs else {
            throw ExtractError(.badInput, "the backend's all_tag_probs setting is not the job's")
        }
        self.backend = backend
        self.modelName = backend.config.modelName
        self.modelHash = modelHash
        self.settings = settings
        let r = backend.config.vision.imageResolution
        // TagOOD's transform: Resize((r + 8, r + 8)) then CenterCrop(r) — 392 → 384 for RAM.
        self.transform = TagOODTransform(resizeTo: r + 8, crop: r)
        decodePool = WorkerPool(threads: max(1, settings.decodeThreads))
    }

    /// A producer on the CPU backend.
    public convenience init(
        model: RAMModel, modelHash: String, idTags: [Int], settings: ExtractionSettings
    )
        throws(ExtractError)
    {
        if let bad = idTags.first(where: { $0 < 0 || $0 >= model.config.head.numTags }) {
            throw ExtractError(
                .badInput,
                "ID tag \(bad) is outside the model's \(model.config.head.numTags) tags: the class → tag map and the tag list do not belong together"
            )
        }
        try self.init(
            backend: CPUBackend(model: model, idTags: idTags, allTagProbs: settings.allTagProbs),
            modelHash: modelHash, settings: settings)
    }

    /// Loads everything a job's model section names: config, weights, tag list and class → tag map, and
    /// builds the backend with `makeBackend` (the CPU's by default).
    public static func load(
        config: String, weights: String, tags: String, classTags: String,
        settings: ExtractionSettings, makeBackend: BackendMaker = cpuBackend
    ) throws -> ModelProducer {
        let vocabulary = try TagVocabulary.load(path: tags)
        let map = try ClassTagMap.load(path: classTags, vocabulary: vocabulary)
        let ramConfig = try RAMConfig.resolve(config, numTags: vocabulary.count)
        let stateDict = try StateDict.load(path: weights)
        let backend = try makeBackend(try RAMWeights(config: ramConfig, stateDict: stateDict), map.idTags, settings)
        return try ModelProducer(
            backend: backend, modelHash: try ModelIdentity.hash(weightsFile: weights), settings: settings)
    }

    deinit { decodePool.stop() }

    /// One decoded image (or why it failed).
    private enum Slot: Sendable {
        case ready([Float])
        case failed(ImageStatus, String)
    }

    /// A batch whose images the backend has (or that had none it could read), waiting to be written.
    private struct InFlight {
        var slots: [Slot]
        var range: Range<Int>
        var submitted: SubmittedBatch?
    }

    public func produce(_ work: ShardWork, progress: ProgressCounter) throws -> ShardWriteSummary {
        let source = try ImageSource.open(work) // a tar that changed fails the shard, before anything is written
        let writer = try work.makeWriter(options: settings.writerOptions(images: work.paths.count))
        let selector = TokenSelector(
            idTags: backend.idTags, inDistribution: work.metadata.role != .ood,
            tagThreshold: Float(settings.tagThreshold),
            attentionThreshold: Float(settings.attentionThreshold))
        let batch = max(1, min(settings.batchSize, backend.maxBatch))
        var start = 0
        var pending = decode(work, from: source, range: 0..<min(batch, work.paths.count))
        var inFlight: InFlight?
        // A batch the backend still holds when the shard fails is given back, so its next shard starts clean.
        defer { if let batch = inFlight?.submitted { backend.discard(batch) } }
        while start < work.paths.count {
            let end = min(start + batch, work.paths.count)
            let slots = pending.wait()
            // Decode the next batch while the backend runs this one.
            pending = decode(work, from: source, range: end..<min(end + batch, work.paths.count))
            if progress.isCancelled {
                _ = pending.wait()
                writer.abandon()
                throw ProducerCancelled()
            }
            let previous = inFlight
            inFlight = InFlight(slots: slots, range: start..<end, submitted: try submit(slots))
            if let previous {
                try write(previous, work: work, selector: selector, writer: writer)
                progress.add(previous.range.count)
            }
            start = end
        }
        if let last = inFlight {
            inFlight = nil
            try write(last, work: work, selector: selector, writer: writer)
            progress.add(last.range.count)
        }
        return try writer.commit()
    }

    /// Hands the decoded images of one batch to the backend (nil when none could be read).
    private func submit(_ slots: [Slot]) throws -> SubmittedBatch? {
        let ready = slots.compactMap { slot -> [Float]? in
            if case .ready(let pixels) = slot { return pixels }
            return nil
        }
        guard !ready.isEmpty else { return nil }
        let r = backend.config.vision.imageResolution, each = 3 * r * r
        let images = Tensor(shape: [ready.count, 3, r, r]) { buffer in
            for (row, pixels) in ready.enumerated() {
                pixels.withUnsafeBufferPointer { src in
                    (buffer.baseAddress! + row * each).update(from: src.baseAddress!, count: each)
                }
            }
        }
        return try backend.submit(images)
    }

    /// Finishes a batch on the backend and appends every row in the plan's order.
    private func write(_ batch: InFlight, work: ShardWork, selector: TokenSelector, writer: ShardWriter) throws {
        let results = try batch.submitted.map { try backend.finish($0, selector: selector) } ?? []
        var next = results.makeIterator()
        for (i, slot) in batch.slots.enumerated() {
            let index = batch.range.lowerBound + i
            let (path, label) = (work.paths[index], work.labels[index])
            switch slot {
            case .failed(let status, let message):
                try writer.append(.failed(path: path, label: label, status: status, error: message))
            case .ready:
                guard let image = next.next() else {
                    throw ExtractError(.badInput, "the backend returned fewer images than it was given")
                }
                try writer.append(
                    ShardRecord(
                        path: path, label: label, tokens: image.tokens, tokenIndex: image.tokenIndex.map { Int16($0) },
                        globalEmbed: image.globalEmbed, tagIDs: image.choice.tags.map { Int32($0) },
                        tagProbs: image.choice.probs, attention: image.attention, allTagProbs: image.allTagProbs))
            }
        }
    }

    /// Starts decoding `range` on the decode threads, on a thread of its own so the caller can run the
    /// model meanwhile.
    private func decode(_ work: ShardWork, from source: ImageSource, range: Range<Int>) -> PendingBatch {
        let pending = PendingBatch(count: range.count)
        let decoder = ImageDecoder(maxPixels: settings.maxPixels)
        let (pool, transform) = (decodePool, self.transform)
        let thread = Thread {
            pool.parallelFor(range.count) { i, _ in
                let index = range.lowerBound + i
                let slot = Self.decodeOne(
                    index, path: work.paths[index], from: source, decoder: decoder, transform: transform)
                pending.slots.withLock { $0[i] = slot }
            }
            pending.done.signal()
        }
        thread.stackSize = 8 << 20
        thread.start()
        return pending
    }

    private static func decodeOne(
        _ index: Int, path: String, from source: ImageSource, decoder: ImageDecoder, transform: TagOODTransform
    ) -> Slot {
        ExtractFailpoints.willProcess(imagePath: path)
        do throws(ImageError) {
            let decoded = try source.decode(index, path: path, with: decoder)
            return .ready(transform(decoded.image))
        } catch {
            return .failed(error.imageStatus, error.description)
        }
    }

    /// Decoded slots of one batch, filled by the decode threads.
    private struct PendingBatch: Sendable {
        let slots: Locked<[Slot]>
        let done = DispatchSemaphore(value: 0)

        init(count: Int) { slots = Locked(Array(repeating: .failed(.other, "not decoded"), count: count)) }

        func wait() -> [Slot] {
            done.wait()
            return slots.value
        }
    }
}
