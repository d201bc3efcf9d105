import Model
import Tensor

/// What a shard stores for one image, as a backend computed it: the chosen tags, the attention map, the
/// kept tokens and the pooled embedding (TagOOD's selection, ``TokenSelector``).
public struct ImageExtraction: Sendable, Equatable {
    /// Steps 1 and 2: the chosen tags and their probabilities.
    public var choice: TokenSelector.TagChoice
    /// Step 3: the combined, normalised layer-0 attention over the image's `L + 1` tokens.
    public var attention: [Float]
    /// The kept token indices, ascending (0 is the pooled token).
    public var tokenIndex: [Int]
    /// The kept rows of `image_embeds`, `[tokenIndex.count, embedDim]`.
    public var tokens: [Float]
    /// Row 0 of `image_embeds` (the pooled token), `[embedDim]`.
    public var globalEmbed: [Float]
    /// Every tag's probability when the backend computes all tags, else empty.
    public var allTagProbs: [Float]

    public init(
        choice: TokenSelector.TagChoice, attention: [Float], tokenIndex: [Int], tokens: [Float], globalEmbed: [Float],
        allTagProbs: [Float]
    ) {
        self.choice = choice
        self.attention = attention
        self.tokenIndex = tokenIndex
        self.tokens = tokens
        self.globalEmbed = globalEmbed
        self.allTagProbs = allTagProbs
    }
}

/// A batch a backend has accepted and not yet finished.
public struct SubmittedBatch: Sendable {
    /// The number of images.
    public let count: Int
    /// The backend's pipeline slot for it (a GPU backend's), or 0.
    public let slot: Int
    /// The images themselves, for a backend that runs them only when asked to finish (the CPU's).
    public let images: Tensor?

    public init(count: Int, slot: Int = 0, images: Tensor? = nil) {
        self.count = count
        self.slot = slot
        self.images = images
    }
}

/// Where RAM runs: the seam between the extraction pipeline and the hardware.
///
/// A backend takes batches of preprocessed images `[N, 3, R, R]` and returns, per image, what the shard
/// stores (``ImageExtraction``). It is built for one model, one ID tag set and one `all_tag_probs` setting.
/// The pipeline keeps one batch in flight: it submits batch k + 1, then finishes batch k, so a backend that
/// computes asynchronously (the GPU's) overlaps the next batch's upload and compute with the host's work on
/// the previous one. Calls come from one thread at a time.
public protocol ExtractionBackend: AnyObject, Sendable {
    /// The model the backend runs.
    var config: RAMConfig { get }
    /// Where it runs, for logs, `hello` and `status`: `cpu`, `cuda:0 NVIDIA H100 80GB HBM3 (…)`.
    var device: String { get }
    /// The ID tag ids, ascending (the columns whose probabilities are computed for every image).
    var idTags: [Int] { get }
    /// Whether every tag's probability is computed for every image (the shard's `all_tag_probs`).
    var computesAllTags: Bool { get }
    /// The most images one batch may have.
    var maxBatch: Int { get }
    /// Starts a batch of preprocessed images `[N, 3, R, R]`, N ≤ ``maxBatch``. At most two batches are
    /// submitted and unfinished at once.
    func submit(_ images: Tensor) throws -> SubmittedBatch
    /// Finishes a submitted batch (in submission order): the tag choice, attention and kept tokens of each
    /// image, in the batch's order. `selector` carries the dataset's role and the thresholds; its ID tags
    /// are the backend's.
    func finish(_ batch: SubmittedBatch, selector: TokenSelector) throws -> [ImageExtraction]
    /// Gives back a submitted batch that will not be finished (its shard failed or was cancelled).
    func discard(_ batch: SubmittedBatch)
}

extension ExtractionBackend {
    /// Checks that `selector` was made for this backend's ID tags.
    public func checkSelector(_ selector: TokenSelector) throws(ExtractError) {
        guard selector.idTags == idTags else {
            throw ExtractError(
                .badInput,
                "the selector's \(selector.idTags.count) ID tags are not the backend's \(idTags.count): build both from one class → tag map"
            )
        }
    }
}
