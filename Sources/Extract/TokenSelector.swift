/// TagOOD's object-token selection, exactly as the authors' `gen_data_tokens.py` did it.
///
/// 1. T = {tags whose probability > `tagThreshold`} over **all** tags. c = the in-distribution (ID) tag
///    with the highest probability (the first such tag on ties). If T is empty, T = {c}.
/// 2. S = T ∩ ID tags. When S is empty (T had only non-ID tags): ID datasets use S = {c}; OOD datasets
///    keep **no tokens** (the reducer scores such images 0). The asymmetry is the authors' and is kept.
/// 3. For each tag of S, layer 0's cross-attention is summed over the heads, min-max normalised over the
///    image tokens, and the maps are combined by an elementwise max; tokens whose value is
///    > `attentionThreshold` are kept.
///
/// A constant attention row (max == min) normalises to all zeros rather than NaN: it expresses no
/// preference, so it keeps no token by itself.
public struct TokenSelector: Sendable {
    /// The ID tag ids, ascending.
    public let idTags: [Int]
    /// Whether the dataset's images are in-distribution (`id-train`, `id-val`).
    public let inDistribution: Bool
    public let tagThreshold: Float
    public let attentionThreshold: Float

    public init(idTags: [Int], inDistribution: Bool, tagThreshold: Float = 0.5, attentionThreshold: Float = 0.5) {
        self.idTags = Array(Set(idTags)).sorted()
        self.inDistribution = inDistribution
        self.tagThreshold = tagThreshold
        self.attentionThreshold = attentionThreshold
    }

    /// The tags chosen for one image (steps 1 and 2).
    public struct TagChoice: Sendable, Equatable {
        /// S, ascending tag ids; empty only for an OOD image whose firing tags include no ID tag.
        public var tags: [Int]
        /// The probability of each tag of S.
        public var probs: [Float]
        /// c: the ID tag with the highest probability, and that probability. Kept even when S is empty,
        /// so the reducer can also score such images by their best ID tag (the symmetric variant).
        public var bestIDTag: Int
        public var bestIDProb: Float
        /// How many tags fired (|T| before the fallback).
        public var firedCount: Int
    }

    /// Steps 1 and 2 on one image's tag probabilities (all tags, in id order).
    public func chooseTags(probs: UnsafeBufferPointer<Float>) throws(ExtractError) -> TagChoice {
        guard let lastID = idTags.last, lastID < probs.count else {
            throw ExtractError(
                .badInput,
                "the ID tag set (\(idTags.count) tags, largest id \(idTags.last ?? -1)) does not fit the model's \(probs.count) tags: is the class → tag map for another tag list?"
            )
        }
        var best = idTags[0]
        for tag in idTags where probs[tag] > probs[best] { best = tag }
        var isID = [Bool](repeating: false, count: probs.count)
        for tag in idTags { isID[tag] = true }

        var fired = 0
        var chosen: [Int] = []
        for tag in 0..<probs.count where probs[tag] > tagThreshold {
            fired += 1
            if isID[tag] { chosen.append(tag) }
        }
        if chosen.isEmpty && (fired == 0 || inDistribution) {
            chosen = [best]
        }
        return TagChoice(
            tags: chosen, probs: chosen.map { probs[$0] }, bestIDTag: best,
            bestIDProb: probs[best], firedCount: fired)
    }

    /// Steps 1 and 2 from the ID tags' probabilities only (`idProbs[i]` is tag `idTags[i]`'s), asking
    /// `anyOtherTagFires` (whether a non-ID tag's probability is above `tagThreshold`) only when the rule
    /// needs it: for an OOD image none of whose ID tags fired. The choice equals
    /// ``chooseTags(probs:)``'s on the full vector, except `firedCount`, which then counts the ID tags
    /// that fired, plus 1 when only non-ID tags did (the others are never computed).
    public func chooseTags(idProbs: UnsafeBufferPointer<Float>, anyOtherTagFires: () throws -> Bool) throws -> TagChoice
    {
        guard idProbs.count == idTags.count, !idTags.isEmpty else {
            throw ExtractError(.badInput, "\(idProbs.count) ID tag probabilities for \(idTags.count) ID tags")
        }
        var best = 0
        for i in idProbs.indices where idProbs[i] > idProbs[best] { best = i }
        var chosen: [Int] = [], probs: [Float] = []
        for i in idProbs.indices where idProbs[i] > tagThreshold {
            chosen.append(idTags[i])
            probs.append(idProbs[i])
        }
        var fired = chosen.count
        if chosen.isEmpty {
            let onlyOthersFired = inDistribution ? false : try anyOtherTagFires()
            if onlyOthersFired {
                fired = 1
            } else {
                chosen = [idTags[best]]
                probs = [idProbs[best]]
            }
        }
        return TagChoice(
            tags: chosen, probs: probs, bestIDTag: idTags[best], bestIDProb: idProbs[best], firedCount: fired)
    }

    /// Convenience for arrays.
    public func chooseTags(probs: [Float]) throws(ExtractError) -> TagChoice {
        let result = probs.withUnsafeBufferPointer { buffer in
            Result { () throws(ExtractError) in try chooseTags(probs: buffer) }
        }
        return try result.get()
    }

    /// The attention map and the kept tokens of one image (step 3).
    public struct TokenChoice: Sendable, Equatable {
        /// The combined, normalised attention over the image tokens (length `tokens`).
        public var attention: [Float]
        /// Indices of the kept tokens, ascending (0 is the pooled token).
        public var tokens: [Int]
    }

    /// Step 3. `attention` holds layer 0's cross-attention probabilities for the tags of S, laid out
    /// `[heads][tags.count][tokens]`.
    public func selectTokens(
        attention: UnsafeBufferPointer<Float>, heads: Int, tags: Int, tokens: Int
    ) throws(ExtractError) -> TokenChoice {
        guard heads > 0, tokens > 0, attention.count == heads * tags * tokens else {
            throw ExtractError(
                .badInput,
                "attention has \(attention.count) values, expected heads × tags × tokens = \(heads) × \(tags) × \(tokens)"
            )
        }
        var combined = [Float](repeating: 0, count: tokens)
        guard tags > 0 else { return TokenChoice(attention: combined, tokens: []) }
        var row = [Float](repeating: 0, count: tokens)
        for t in 0..<tags {
            for j in 0..<tokens { row[j] = 0 }
            for h in 0..<heads {
                let base = (h * tags + t) * tokens
                for j in 0..<tokens { row[j] += attention[base + j] }
            }
            var lo = row[0], hi = row[0]
            for v in row { lo = min(lo, v); hi = max(hi, v) }
            let range = hi - lo
            for j in 0..<tokens {
                let normalised: Float = range > 0 ? (row[j] - lo) / range : 0
                combined[j] = t == 0 ? normalised : max(combined[j], normalised)
            }
        }
        let kept = (0..<tokens).filter { combined[$0] > attentionThreshold }
        return TokenChoice(attention: combined, tokens: kept)
    }

    /// Convenience for arrays.
    public func selectTokens(attention: [Float], heads: Int, tags: Int, tokens: Int) throws(ExtractError) -> TokenChoice
    {
        let result = attention.withUnsafeBufferPointer { buffer in
            Result { () throws(ExtractError) in
                try selectTokens(attention: buffer, heads: heads, tags: tags, tokens: tokens)
            }
        }
        return try result.get()
    }
}
