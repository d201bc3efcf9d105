import Extract
import Model
import Tensor
import Testing

/// Computing only the tags the selection needs (the ID tags, then the others only for an OOD image none
/// of whose ID tags fired, and only until one fires) gives what the full computation gives.
@Suite struct TagSubsetTests {
    static let ram = RAMModel(weights: RAMWeights.random(config: .testShift, seed: 7))
    /// RAM++: its queries depend on the image, each tag's still on its own.
    static let ramPlus: RAMModel = {
        var config = RAMConfig.testShift
        config.head.tagger = .ramPlus(descriptionsPerTag: 51)
        var weights = RAMWeights.random(config: config, seed: 7)
        // Spread descriptions, so that the reweighting matters.
        let labels = weights.tensors["label_embed"]!
        weights.tensors["label_embed"] = Tensor(shape: labels.shape, scalars: labels.scalars.map { $0 * 40 })
        return RAMModel(weights: weights)
    }()

    static func model(_ tagger: String) -> RAMModel { tagger == "ram" ? ram : ramPlus }

    /// Four images of noise, encoded once.
    static func embeds(_ model: RAMModel) throws -> Tensor {
        let r = model.config.vision.imageResolution
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        let pixels = (0..<(4 * 3 * r * r)).map { _ -> Float in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Float(state >> 40) / Float(1 << 24) * 4 - 2
        }
        return try model.encodeImages(Tensor(shape: [4, 3, r, r], scalars: pixels))
    }

    @Test(arguments: ["ram", "ram_plus"]) func aSubsetOfTagsGivesTheFullComputationsProbabilities(
        tagger: String
    )
        throws
    {
        let model = Self.model(tagger)
        let embeds = try Self.embeds(model)
        let full = try model.tagProbabilities(imageEmbeds: embeds).scalars
        let tags = [5, 0, 17, 23, 9]
        let subset = try model.tagProbabilities(imageEmbeds: embeds, tags: tags).scalars
        let t = model.config.head.numTags
        for image in 0..<4 {
            for (j, tag) in tags.enumerated() {
                #expect(
                    abs(subset[image * tags.count + j] - full[image * t + tag]) <= 1e-6, "image \(image) tag \(tag)")
            }
        }
        #expect(throws: ModelError.self) { try model.tagProbabilities(imageEmbeds: embeds, tags: [t]) }
    }

    @Test(arguments: ["ram", "ram_plus"]) func choosingFromTheIDTagsFirstEqualsTheFullRuleForBothRoles(
        tagger: String
    )
        throws
    {
        let model = Self.model(tagger)
        let embeds = try Self.embeds(model)
        let t = model.config.head.numTags
        let idTags = [2, 11, 19]
        let others = (0..<t).filter { !idTags.contains($0) }
        let full = try model.tagProbabilities(imageEmbeds: embeds).scalars
        let idProbs = try model.tagProbabilities(imageEmbeds: embeds, tags: idTags).scalars
        var onlyOthersFired = 0, asked = 0
        for image in 0..<4 {
            let row = Array(full[(image * t)..<((image + 1) * t)])
            let maxID = idTags.map { row[$0] }.max()!, maxOther = others.map { row[$0] }.max()!
            // Thresholds that make some ID tag fire, only non-ID tags fire (when possible), and none fire.
            var thresholds = [maxID - 1e-4, max(maxID, maxOther) + 1e-4]
            if maxOther > maxID { thresholds.append((maxID + maxOther) / 2) }
            for threshold in thresholds {
                for inDistribution in [true, false] {
                    let selector = TokenSelector(
                        idTags: idTags, inDistribution: inDistribution, tagThreshold: threshold)
                    let expected = try selector.chooseTags(probs: row)
                    let lazy = try idProbs.withUnsafeBufferPointer { p in
                        try selector.chooseTags(
                            idProbs: UnsafeBufferPointer(rebasing: p[(image * 3)..<(image * 3 + 3)])
                        ) {
                            asked += 1
                            let fires = try model.anyTagFires(
                                imageEmbeds: embeds, image: image, tags: others, threshold: threshold, chunk: 4)
                            if fires { onlyOthersFired += 1 }
                            return fires
                        }
                    }
                    #expect(
                        lazy.tags == expected.tags && lazy.bestIDTag == expected.bestIDTag,
                        "image \(image) threshold \(threshold)")
                    #expect(zip(lazy.probs, expected.probs).allSatisfy { abs($0 - $1) <= 1e-6 })
                    #expect(abs(lazy.bestIDProb - expected.bestIDProb) <= 1e-6)
                }
            }
        }
        #expect(
            asked > 0 && onlyOthersFired > 0,
            "the OOD rule had to look at the non-ID tags (asked \(asked), fired \(onlyOthersFired))")
    }
}
