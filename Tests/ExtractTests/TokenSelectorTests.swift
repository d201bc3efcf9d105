import Testing

@testable import Extract

/// TagOOD selection edge cases. Tags 0…5; ID tags are {1, 3, 4}.
@Suite struct TokenSelectorTests {
    let idSelector = TokenSelector(idTags: [4, 1, 3], inDistribution: true)
    let oodSelector = TokenSelector(idTags: [1, 3, 4], inDistribution: false)

    @Test func noTagOverThresholdFallsBackToTheBestIDTag() throws {
        let probs: [Float] = [0.4, 0.2, 0.1, 0.3, 0.25, 0.45]
        for selector in [idSelector, oodSelector] {
            let choice = try selector.chooseTags(probs: probs)
            #expect(choice.tags == [3])
            #expect(choice.probs == [0.3])
            #expect(choice.firedCount == 0)
        }
    }

    @Test func onlyNonIDTagsFiringIsAsymmetric() throws {
        let probs: [Float] = [0.9, 0.2, 0.8, 0.3, 0.1, 0.6]
        let id = try idSelector.chooseTags(probs: probs)
        #expect(id.tags == [3]) // ID datasets: S = {c}
        let ood = try oodSelector.chooseTags(probs: probs)
        #expect(ood.tags.isEmpty) // OOD datasets: no tokens
        #expect(ood.bestIDTag == 3 && ood.bestIDProb == 0.3) // kept for the symmetric variant
        #expect(ood.firedCount == 3)
    }

    @Test func severalIDTagsAreAllKeptInIdOrder() throws {
        let probs: [Float] = [0.9, 0.7, 0.1, 0.51, 0.95, 0.2]
        let choice = try oodSelector.chooseTags(probs: probs)
        #expect(choice.tags == [1, 3, 4])
        #expect(choice.probs == [0.7, 0.51, 0.95])
        #expect(choice.bestIDTag == 4)
    }

    @Test func thresholdIsStrictAndTiesPickTheFirstIDTag() throws {
        let probs: [Float] = [0.5, 0.5, 0.5, 0.5, 0.5, 0.5]
        let choice = try idSelector.chooseTags(probs: probs)
        #expect(choice.firedCount == 0) // 0.5 is not > 0.5
        #expect(choice.tags == [1]) // ties: first ID tag
    }

    @Test func attentionIsSummedNormalisedAndMaxCombined() throws {
        // 2 heads, 2 tags, 4 tokens. Tag 0 sums to [2, 4, 6, 10] → [0, .25, .5, 1]
        // tag 1 sums to [5, 1, 1, 3] → [1, 0, 0, .5]; max → [1, .25, .5, 1]; > 0.5 keeps 0 and 3.
        let attention: [Float] = [
            1, 2, 3, 5, 2, 0, 0, 1, // head 0: tag 0, tag 1
            1, 2, 3, 5, 3, 1, 1, 2 // head 1: tag 0, tag 1
        ]
        let choice = try idSelector.selectTokens(attention: attention, heads: 2, tags: 2, tokens: 4)
        #expect(choice.attention == [1, 0.25, 0.5, 1])
        #expect(choice.tokens == [0, 3]) // 0.5 itself is not kept
    }

    @Test func constantAttentionGivesZerosNotNaN() throws {
        let choice = try idSelector.selectTokens(
            attention: [Float](repeating: 0.25, count: 8), heads: 2, tags: 1, tokens: 4)
        #expect(choice.attention == [0, 0, 0, 0])
        #expect(choice.tokens.isEmpty)
        #expect(!choice.attention.contains { $0.isNaN })
    }

    @Test func noTagsMeansNoTokens() throws {
        let choice = try oodSelector.selectTokens(attention: [], heads: 4, tags: 0, tokens: 145)
        #expect(choice.tokens.isEmpty && choice.attention.count == 145)
    }

    @Test func mismatchedInputsAreErrors() {
        #expect(throws: ExtractError.self) {
            try idSelector.selectTokens(attention: [1, 2, 3], heads: 2, tags: 1, tokens: 4)
        }
        #expect(throws: ExtractError.self) {
            try TokenSelector(idTags: [10], inDistribution: true).chooseTags(probs: [0.1, 0.2])
        }
    }
}
