import Foundation
import TagoodSupport
import Tensor
import Testing

@testable import Model

/// RAM++ against recognize-anything's own modules (tools/make_ram_plus_fixtures.py): a small Swin with the
/// full 4585 × 51 tag embedding. The committed file holds every parameter but `label_embed`, which is
/// tagood's deterministic random one times the fixture's `label_scale` (too large to commit).
@Suite struct RAMPlusParityTests {
    static let config = try! RAMConfig.resolve(Fixtures.path("test_ram_plus.json"))
    static let io = try! StateDict.load(path: Fixtures.path("test_ram_plus-io.safetensors"))

    /// The fixture's weights: the committed tensors plus the regenerated `label_embed`.
    static func weights() throws -> RAMWeights {
        var tensors = try Fixtures.tensors("test_ram_plus.safetensors")
        let scale = Float(io.metadata["label_scale"]!)!
        let labels = RAMWeights.random(config: config, seed: UInt64(io.metadata["seed"]!)!).tensors["label_embed"]!
        tensors["label_embed"] = Tensor(shape: labels.shape, scalars: labels.scalars.map { $0 * scale })
        return try RAMWeights(config: config, tensors: tensors)
    }

    static let model: RAMModel = RAMModel(weights: try! weights())

    @Test func theConfigIsRAMPlusWithTheFullTagEmbedding() throws {
        #expect(Self.config.head.tagger == .ramPlus(descriptionsPerTag: 51))
        #expect(Self.config.head.numTags == 4585)
        #expect(Self.config.modelName == "ram_plus_test_ram_plus")
        #expect(try Self.weights().canonicalHash() == Self.io.metadata["weights_hash"], "the regenerated weights")
    }

    @Test func forwardMatchesRecognizeAnythingsModules() throws {
        let io = try Fixtures.tensors("test_ram_plus-io.safetensors")
        let out = try Self.model.forward(images: io["images"]!)
        let embeds = ErrorStats(out.imageEmbeds, io["image_embeds"]!)
        let probs = ErrorStats(out.probabilities, io["probs"]!)
        print("RAM++ parity: image_embeds \(embeds); probs \(probs)")
        #expect(embeds.elementRelative < 1e-5 || embeds.normRelative < 1e-5, "image_embeds: \(embeds)")
        #expect(probs.elementRelative < 1e-5, "probs: \(probs)")
        let spread = io["probs"]!.scalars
        #expect(spread.max()! - spread.min()! > 0.5, "the fixture's probabilities span the thresholds")

        let tags = io["attn_tags"]!.scalars.map { Int($0) }
        let want = io["attn0"]!
        for image in 0..<want.shape[0] {
            let got = try Self.model.layer0Attention(imageEmbeds: out.imageEmbeds, image: image, tags: tags)
            let expected = want.slice(outer: image..<(image + 1)).reshaped(Array(want.shape.dropFirst()))
            let stats = ErrorStats(got, expected)
            #expect(stats.elementRelative < 1e-5, "layer-0 attention, image \(image): \(stats)")
        }
    }

    @Test func aSubsetOfTagsGivesTheFullComputationsProbabilities() throws {
        let io = try Fixtures.tensors("test_ram_plus-io.safetensors")
        let embeds = try Self.model.encodeImages(io["images"]!)
        let full = try Self.model.tagProbabilities(imageEmbeds: embeds).scalars
        let tags = [4584, 3, 1000, 2500, 17]
        let subset = try Self.model.tagProbabilities(imageEmbeds: embeds, tags: tags).scalars
        let t = Self.config.head.numTags
        for image in 0..<embeds.shape[0] {
            for (j, tag) in tags.enumerated() {
                #expect(
                    abs(subset[image * tags.count + j] - full[image * t + tag]) <= 1e-6, "image \(image), tag \(tag)")
            }
            // One image alone: its queries are its own, not the batch's.
            let alone = try Self.model.tagProbabilities(
                imageEmbeds: embeds.slice(outer: image..<(image + 1)), tags: tags
            ).scalars
            for j in tags.indices { #expect(abs(alone[j] - subset[image * tags.count + j]) <= 1e-6) }
        }
    }

    @Test func aRAMPlusCheckpointIsRecognisedByItsTensors() throws {
        let directory = try TemporaryDirectory(prefix: "ram-plus")
        let path = directory.path + "/w.safetensors"
        try Self.weights().write(to: path)
        // Loaded for the RAM config of the same shapes: the tensors say RAM++.
        var plain = Self.config
        plain.head.tagger = .ram
        let loaded = try RAMWeights(config: plain, stateDict: try StateDict.load(path: path))
        #expect(loaded.config.head.tagger == .ramPlus(descriptionsPerTag: 51))
        let summary = try CheckpointSummary.inspect(path: path, config: plain, hashWeights: false)
        #expect(summary.isComplete && summary.config?.head.tagger == .ramPlus(descriptionsPerTag: 51))
    }
}

/// RAM++'s token selection: from tagood's outputs it equals the one from recognize-anything's (the same tags
/// and the same kept tokens), for both roles, where an ID tag fires, where only other tags do, and where none
/// does; and choosing from the ID tags first equals the full rule.
@Suite struct RAMPlusSelectionTests {
    /// TagOOD's rule (Extract's TokenSelector, restated here: ModelTests does not import Extract) on one image.
    static func select(
        probs: [Float], idTags: [Int], attention: (Int) -> [[Float]], threshold: Float, id: Bool
    )
        -> (tags: [Int], tokens: [Int])
    {
        let fired = probs.indices.filter { probs[$0] > threshold }
        var chosen = fired.filter { idTags.contains($0) }
        let best = idTags.max { probs[$0] < probs[$1] }!
        if chosen.isEmpty && (fired.isEmpty || id) { chosen = [best] }
        guard !chosen.isEmpty else { return ([], []) }
        var combined = [Float](repeating: 0, count: attention(chosen[0])[0].count)
        for tag in chosen {
            let heads = attention(tag)
            var row = [Float](repeating: 0, count: combined.count)
            for h in heads { for j in row.indices { row[j] += h[j] } }
            let lo = row.min()!, hi = row.max()!
            for j in row.indices { combined[j] = max(combined[j], hi > lo ? (row[j] - lo) / (hi - lo) : 0) }
        }
        return (chosen, combined.indices.filter { combined[$0] > 0.5 })
    }

    @Test func theSelectionEqualsTheOneFromRecognizeAnythingsOutputs() throws {
        let io = try Fixtures.tensors("test_ram_plus-io.safetensors")
        let model = RAMPlusParityTests.model
        let embeds = try model.encodeImages(io["images"]!)
        let ours = try model.tagProbabilities(imageEmbeds: embeds).scalars
        let theirs = io["probs"]!.scalars
        let idTags = io["attn_tags"]!.scalars.map { Int($0) }
        let want = io["attn0"]!
        let t = model.config.head.numTags, l1 = model.imageTokens, heads = model.config.head.numHeads
        var regimes: Set<String> = []
        for image in 0..<embeds.shape[0] {
            let row = Array(ours[(image * t)..<((image + 1) * t)])
            let reference = Array(theirs[(image * t)..<((image + 1) * t)])
            let maxID = idTags.map { row[$0] }.max()!
            let maxOther = row.indices.filter { !idTags.contains($0) }.map { row[$0] }.max()!
            var thresholds = [maxID - 1e-3, max(maxID, maxOther) + 1e-3]
            if maxOther > maxID + 2e-3 { thresholds.append((maxID + maxOther) / 2) }
            let attention = try model.layer0Attention(imageEmbeds: embeds, image: image, tags: idTags).scalars
            func ourAttention(_ tag: Int) -> [[Float]] {
                let k = idTags.firstIndex(of: tag)!
                return (0..<heads).map { h in
                    Array(attention[((h * idTags.count + k) * l1)..<((h * idTags.count + k + 1) * l1)])
                }
            }
            func theirAttention(_ tag: Int) -> [[Float]] {
                let k = idTags.firstIndex(of: tag)!
                return (0..<heads).map { h in
                    let base = ((image * heads + h) * idTags.count + k) * l1
                    return Array(want.scalars[base..<(base + l1)])
                }
            }
            for threshold in thresholds {
                let fired = row.indices.filter { row[$0] > threshold }
                regimes.insert(
                    fired.contains(where: idTags.contains) ? "an ID tag fires" : fired.isEmpty ? "none" : "others only")
                for id in [true, false] {
                    let mine = Self.select(
                        probs: row, idTags: idTags, attention: ourAttention, threshold: threshold, id: id)
                    let reference = Self.select(
                        probs: reference, idTags: idTags, attention: theirAttention, threshold: threshold, id: id)
                    #expect(mine.tags == reference.tags, "image \(image), threshold \(threshold), id \(id)")
                    #expect(mine.tokens == reference.tokens, "image \(image), threshold \(threshold), id \(id)")
                }
            }
        }
        #expect(regimes == ["an ID tag fires", "others only", "none"], "every regime is exercised: \(regimes)")
    }
}
