import Foundation
import Imaging
import Model
import Shards
import TagoodSupport
import Tensor

#if canImport(Glibc)
import Glibc
#endif

/// The real producer: decode → batch → RAM → TagOOD selection → shard writer.
///
/// Decoding and preprocessing of the next batch run on `decodeThreads` threads while the model runs
/// the current one; at most two batches of images are in memory, so memory stays flat whatever the
/// shard size. Rows are written in the plan's order. An image that cannot be read or decoded becomes a
/// failed row with its error; it never fails the shard.
public final class ModelProducer: ShardProducer, @unchecked Sendable {
    public let model: RAMModel
    public let modelName: String
    public let modelHash: String
    public var embedDim: Int { model.config.head.encoderWidth }
    public var imageTokens: Int { model.imageTokens }
    public var allTags: Int? { settings.allTagProbs ? model.config.head.numTags : nil }
    private let idTags: [Int]
    /// Every tag that is not an ID tag, ascending: computed only when the OOD rule asks.
    private let otherTags: [Int]
    private let settings: ExtractionSettings
    private let transform: TagOODTransform
    /// The decode threads (a pool of their own: the model's kernels use `WorkerPool.shared` meanwhile).
    private let decodePool: WorkerPool

    /// - Parameters:
    ///   - idTags: the in-distribution tag ids (from the class → tag map).
    ///   - modelHash: the identity the coordinator checks (``ModelIdentity/hash(weightsFile:)``).
    public init(model: RAMModel, modelHash: String, idTags: [Int], settings: ExtractionSettings) throws(ExtractError) {
        guard !idTags.isEmpty else {
            throw ExtractError(.badInput, "the ID tag set is empty: give the class → tag map of the ID classes")
        }
        if let bad = idTags.first(where: { $0 >= model.config.head.numTags }) {
            throw ExtractError(
                .badInput,
                "ID tag \(bad) is outside the model's \(model.config.head.numTags) tags: the class → tag map and the tag list do not belong together"
            )
        }
        self.model = model
        self.modelName = model.config.name
        self.modelHash = modelHash
        self.idTags = idTags
        let ids = Set(idTags)
        self.otherTags = (0..<model.config.head.numTags).filter { !ids.contains($0) }
        self.settings = settings
        let r = model.config.vision.imageResolution
        // TagOOD's transform: Resize((r + 8, r + 8)) then CenterCrop(r) — 392 → 384 for RAM.
        self.transform = TagOODTransform(resizeTo: r + 8, crop: r)
        decodePool = WorkerPool(threads: max(1, settings.decodeThreads))
    }

    /// Loads everything a job's model section names: config, weights, tag list and class → tag map.
    public static func load(
        config: String, weights: String, tags: String, classTags: String,
        settings: ExtractionSettings
    ) throws -> ModelProducer {
        let vocabulary = try TagVocabulary.load(path: tags)
        let map = try ClassTagMap.load(path: classTags, vocabulary: vocabulary)
        let ramConfig = try RAMConfig.resolve(config, numTags: vocabulary.count)
        let model = try RAMModel.load(path: weights, config: ramConfig)
        return try ModelProducer(
            model: model, modelHash: try ModelIdentity.hash(weightsFile: weights),
            idTags: map.idTags, settings: settings)
    }

    deinit { decodePool.stop() }

    /// One decoded image (or why it failed).
    private enum Slot: Sendable {
        case ready([Float])
        case failed(ImageStatus, String)
    }

    public func produce(_ work: ShardWork, progress: ProgressCounter) throws -> ShardWriteSummary {
        let writer = try work.makeWriter(options: settings.writerOptions(images: work.paths.count))
        let selector = TokenSelector(
            idTags: idTags, inDistribution: work.metadata.role != .ood,
            tagThreshold: Float(settings.tagThreshold),
            attentionThreshold: Float(settings.attentionThreshold))
        let batch = max(1, settings.batchSize)
        var start = 0
        var pending = decode(work, range: 0..<min(batch, work.paths.count))
        while start < work.paths.count {
            let end = min(start + batch, work.paths.count)
            let slots = pending.wait()
            // Decode the next batch while the model runs this one.
            let nextEnd = min(end + batch, work.paths.count)
            pending = decode(work, range: end..<nextEnd)
            if progress.isCancelled {
                _ = pending.wait()
                writer.abandon()
                throw ProducerCancelled()
            }
            try run(
                slots, paths: Array(work.paths[start..<end]), labels: Array(work.labels[start..<end]),
                selector: selector, writer: writer)
            progress.add(end - start)
            start = end
        }
        return try writer.commit()
    }

    /// Starts decoding `range` on the decode threads, on a thread of its own so the caller can run the
    /// model meanwhile.
    private func decode(_ work: ShardWork, range: Range<Int>) -> PendingBatch {
        let pending = PendingBatch(count: range.count)
        let decoder = ImageDecoder(maxPixels: settings.maxPixels)
        let (pool, transform) = (decodePool, self.transform)
        let thread = Thread {
            pool.parallelFor(range.count) { i, _ in
                let slot = Self.decodeOne(
                    root: work.root, path: work.paths[range.lowerBound + i], decoder: decoder, transform: transform)
                pending.slots.withLock { $0[i] = slot }
            }
            pending.done.signal()
        }
        thread.stackSize = 8 << 20
        thread.start()
        return pending
    }

    private static func decodeOne(root: String, path: String, decoder: ImageDecoder, transform: TagOODTransform) -> Slot
    {
        ExtractFailpoints.willProcess(imagePath: path)
        do throws(ImageError) {
            let decoded = try decoder.decode(file: root + "/" + path)
            return .ready(transform(decoded.image))
        } catch {
            return .failed(error.imageStatus, error.description)
        }
    }

    /// Runs the model on the decoded images of one batch and appends every row in order.
    private func run(
        _ slots: [Slot], paths: [String], labels: [Int32], selector: TokenSelector, writer: ShardWriter
    ) throws {
        var ready: [Int] = []
        for (i, slot) in slots.enumerated() { if case .ready = slot { ready.append(i) } }
        var embedsTensor: Tensor?, idProbsTensor: Tensor?, allProbsTensor: Tensor?
        if !ready.isEmpty {
            let r = model.config.vision.imageResolution, each = 3 * r * r
            let images = Tensor(shape: [ready.count, 3, r, r]) { buffer in
                for (row, i) in ready.enumerated() {
                    guard case .ready(let pixels) = slots[i] else { continue }
                    pixels.withUnsafeBufferPointer { src in
                        (buffer.baseAddress! + row * each).update(from: src.baseAddress!, count: each)
                    }
                }
            }
            // Only the ID tags first: the selection needs the others only for an OOD image none of whose
            // ID tags fired, and then only until one fires (TokenSelector.chooseTags(idProbs:anyOtherTagFires:)).
            let embeds = try model.encodeImages(images)
            embedsTensor = embeds
            if settings.allTagProbs {
                // Every tag: the selection reads them too.
                allProbsTensor = try model.tagProbabilities(imageEmbeds: embeds)
            } else {
                idProbsTensor = try model.tagProbabilities(imageEmbeds: embeds, tags: selector.idTags)
            }
        }
        let tagCount = model.config.head.numTags
        let l1 = imageTokens, e = embedDim, k = selector.idTags.count, heads = model.config.head.numHeads
        var row = 0
        for (i, slot) in slots.enumerated() {
            switch slot {
            case .failed(let status, let message):
                try writer.append(.failed(path: paths[i], label: labels[i], status: status, error: message))
            case .ready:
                let embedsBatch = embedsTensor!
                let embeds = embedsBatch.scalars
                let image = row
                let choice: TokenSelector.TagChoice
                var allProbs: [Float] = []
                if let allProbsTensor {
                    allProbs = Array(allProbsTensor.scalars[(image * tagCount)..<((image + 1) * tagCount)])
                    choice = try allProbs.withUnsafeBufferPointer { p throws(ExtractError) in
                        try selector.chooseTags(probs: p)
                    }
                } else {
                    choice = try idProbsTensor!.scalars.withUnsafeBufferPointer { p in
                        try selector.chooseTags(
                            idProbs: UnsafeBufferPointer(rebasing: p[(image * k)..<((image + 1) * k)])
                        ) {
                            try model.anyTagFires(
                                imageEmbeds: embedsBatch, image: image, tags: otherTags,
                                threshold: selector.tagThreshold)
                        }
                    }
                }
                let attention = try model.layer0Attention(imageEmbeds: embedsBatch, image: row, tags: choice.tags)
                let tokens = try selector.selectTokens(
                    attention: attention.scalars, heads: heads, tags: choice.tags.count, tokens: l1)
                let base = row * l1 * e
                var selected: [Float] = []
                selected.reserveCapacity(tokens.tokens.count * e)
                for t in tokens.tokens { selected.append(contentsOf: embeds[(base + t * e)..<(base + (t + 1) * e)]) }
                try writer.append(
                    ShardRecord(
                        path: paths[i], label: labels[i], tokens: selected, tokenIndex: tokens.tokens.map { Int16($0) },
                        globalEmbed: Array(embeds[base..<(base + e)]), tagIDs: choice.tags.map { Int32($0) },
                        tagProbs: choice.probs, attention: tokens.attention, allTagProbs: allProbs))
                row += 1
            }
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
