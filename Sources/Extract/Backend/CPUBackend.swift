import Model
import Tensor

/// RAM on the CPU: OpenBLAS and tagood's kernels on this process's threads (``RAMModel``).
///
/// A batch runs when it is finished (`submit` only keeps the images), in the order that costs least: the
/// encoder, then the ID tags' probabilities (or every tag's with `all_tag_probs`), the other tags only for
/// an OOD image none of whose ID tags fired and only until one fires, then layer 0's attention for the
/// chosen tags.
public final class CPUBackend: ExtractionBackend {
    public let model: RAMModel
    public let idTags: [Int]
    public let computesAllTags: Bool
    public let maxBatch: Int
    /// Every tag that is not an ID tag, ascending: computed only when the OOD rule asks.
    private let otherTags: [Int]

    /// - Parameters:
    ///   - idTags: the in-distribution tag ids (any order; kept sorted and unique).
    ///   - allTagProbs: compute every tag's probability for every image.
    public init(model: RAMModel, idTags: [Int], allTagProbs: Bool, maxBatch: Int = 256) {
        self.model = model
        self.idTags = Array(Set(idTags)).sorted()
        computesAllTags = allTagProbs
        self.maxBatch = maxBatch
        let ids = Set(idTags)
        otherTags = (0..<model.config.head.numTags).filter { !ids.contains($0) }
    }

    public var config: RAMConfig { model.config }
    public var device: String { "cpu" }

    public func submit(_ images: Tensor) throws -> SubmittedBatch {
        SubmittedBatch(count: images.shape[0], images: images)
    }

    public func discard(_ batch: SubmittedBatch) {}

    public func finish(_ batch: SubmittedBatch, selector: TokenSelector) throws -> [ImageExtraction] {
        try checkSelector(selector)
        guard let images = batch.images else { return [] }
        let embeds = try model.encodeImages(images)
        let tagCount = config.head.numTags, k = idTags.count
        let l1 = model.imageTokens, e = config.head.encoderWidth, heads = config.head.numHeads
        // Only the ID tags first: the selection needs the others only for an OOD image none of whose ID
        // tags fired, and then only until one fires (TokenSelector.chooseTags(idProbs:anyOtherTagFires:)).
        let probs =
            computesAllTags
            ? try model.tagProbabilities(imageEmbeds: embeds)
            : try model.tagProbabilities(imageEmbeds: embeds, tags: idTags)
        var results: [ImageExtraction] = []
        results.reserveCapacity(batch.count)
        for image in 0..<batch.count {
            let choice: TokenSelector.TagChoice
            var allProbs: [Float] = []
            if computesAllTags {
                allProbs = Array(probs.scalars[(image * tagCount)..<((image + 1) * tagCount)])
                choice = try allProbs.withUnsafeBufferPointer { p throws(ExtractError) in
                    try selector.chooseTags(probs: p)
                }
            } else {
                choice = try probs.scalars.withUnsafeBufferPointer { p in
                    try selector.chooseTags(idProbs: UnsafeBufferPointer(rebasing: p[(image * k)..<((image + 1) * k)]))
                    {
                        try model.anyTagFires(
                            imageEmbeds: embeds, image: image, tags: otherTags, threshold: selector.tagThreshold)
                    }
                }
            }
            let attention = try model.layer0Attention(imageEmbeds: embeds, image: image, tags: choice.tags)
            let kept = try selector.selectTokens(
                attention: attention.scalars, heads: heads, tags: choice.tags.count, tokens: l1)
            let base = image * l1 * e
            var tokens: [Float] = []
            tokens.reserveCapacity(kept.tokens.count * e)
            for t in kept.tokens { tokens.append(contentsOf: embeds.scalars[(base + t * e)..<(base + (t + 1) * e)]) }
            results.append(
                ImageExtraction(
                    choice: choice, attention: kept.attention, tokenIndex: kept.tokens, tokens: tokens,
                    globalEmbed: Array(embeds.scalars[base..<(base + e)]), allTagProbs: allProbs))
        }
        return results
    }
}
