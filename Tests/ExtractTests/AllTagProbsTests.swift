import Extract
import Foundation
import Imaging
import Model
import Shards
import TagoodSupport
import Testing

/// `extract.all_tag_probs: true`: the producer computes every tag, stores each image's probabilities in the
/// shard's `all_tag_probs`, and selects exactly the tags, tokens and attention that the lazy way (the ID
/// tags first, the others only when the OOD rule asks) selects, for both roles.
@Suite struct AllTagProbsTests {
    static let model = RAMModel(weights: RAMWeights.random(config: .testShift, seed: 11))
    static let idTags = [1, 4, 9, 15]

    /// Six noisy photos-to-be and one file that is not an image, in a fresh folder.
    static func images() throws -> (folder: TemporaryDirectory, paths: [String]) {
        let folder = try TemporaryDirectory(prefix: "tagood-all-tags")
        var rng = SplitMix64(seed: 3)
        var paths: [String] = []
        for i in 0..<6 {
            let (w, h) = (120 + 10 * i, 100)
            let pixels = (0..<(w * h * 3)).map { p -> UInt8 in
                UInt8(truncatingIfNeeded: (p % (37 + i)) * 5 + Int(rng.next() % 40))
            }
            try RGBImage(width: w, height: h, pixels: pixels).writeJPEG(to: folder.path + "/image-\(i).jpg")
            paths.append("image-\(i).jpg")
        }
        try Data("not a jpeg".utf8).write(to: URL(fileURLWithPath: folder.path + "/broken.jpg"))
        paths.append("broken.jpg")
        return (folder, paths)
    }

    /// Extracts `paths` into a shard and reads it back.
    static func extract(
        _ folder: String, _ paths: [String], role: ShardRole, allTags: Bool, threshold: Double
    ) throws -> [ShardImage] {
        var settings = ExtractionSettings()
        settings.allTagProbs = allTags
        settings.tagThreshold = threshold
        settings.batchSize = 3
        let producer = try ModelProducer(model: model, modelHash: "test", idTags: idTags, settings: settings)
        let out = folder + "/shard-\(role.rawValue)-\(allTags)-\(threshold).h5"
        let labels: [Int32] = role == .ood ? paths.map { _ in -1 } : paths.indices.map { Int32($0 % 3) }
        let metadata = ShardMetadata(
            jobID: "test", datasetHash: "test", shardIndex: 0, dataset: "test", role: role,
            modelName: producer.modelName, modelHash: "test", preprocessing: "tagood", tagThreshold: threshold,
            attentionThreshold: settings.attentionThreshold, embedDim: producer.embedDim,
            imageTokens: producer.imageTokens, allTags: producer.allTags)
        _ = try producer.produce(
            ShardWork(metadata: metadata, attempt: 1, root: folder, paths: paths, labels: labels, output: .file(out)),
            progress: ProgressCounter())
        let reader = try ShardReader(path: out)
        #expect(try reader.header().metadata.allTags == (allTags ? model.config.head.numTags : nil))
        var images: [ShardImage] = []
        try reader.forEach { images.append($0) }
        return images
    }

    @Test func storesEveryTagAndSelectsWhatTheLazyWaySelects() throws {
        let (folder, paths) = try Self.images()
        let t = Self.model.config.head.numTags
        // Probe once to place thresholds where an ID tag fires, where only non-ID tags fire, and where none does.
        let probe = try Self.extract(folder.path, paths, role: .ood, allTags: true, threshold: 0.5)
        var thresholds: Set<Double> = []
        var onlyOthersCan = false
        for image in probe where image.status.isOK {
            #expect(image.allTagProbs.count == t)
            #expect(image.allTagProbs.allSatisfy { $0 > 0 && $0 < 1 })
            let maxID = Self.idTags.map { image.allTagProbs[$0] }.max()!
            let maxOther = (0..<t).filter { !Self.idTags.contains($0) }.map { image.allTagProbs[$0] }.max()!
            thresholds.insert(Double(maxID) - 1e-4)
            thresholds.insert(Double(max(maxID, maxOther)) + 1e-4)
            if maxOther > maxID { thresholds.insert(Double(maxID + maxOther) / 2); onlyOthersCan = true }
        }
        #expect(onlyOthersCan, "no image where only non-ID tags can fire: the OOD rule's second step goes untested")
        let broken = probe.first { !$0.status.isOK }
        #expect(broken?.allTagProbs == [Float](repeating: 0, count: t), "a failed image stores zeros")

        for threshold in thresholds.sorted() {
            for role in [ShardRole.ood, .idVal] {
                let all = try Self.extract(folder.path, paths, role: role, allTags: true, threshold: threshold)
                let lazy = try Self.extract(folder.path, paths, role: role, allTags: false, threshold: threshold)
                #expect(all.count == paths.count && lazy.count == paths.count)
                for (a, l) in zip(all, lazy) {
                    let what = "\(a.path), \(role), threshold \(threshold)"
                    #expect(l.allTagProbs.isEmpty, "\(what): the lazy shard stores no all_tag_probs")
                    #expect(a.status == l.status && a.tagIDs == l.tagIDs && a.tokenIndex == l.tokenIndex, "\(what)")
                    #expect(
                        zip(a.tagProbs, l.tagProbs).allSatisfy { abs($0 - $1) <= 1e-6 }, "\(what): tag probabilities")
                    #expect(
                        zip(a.attention, l.attention).allSatisfy { abs($0 - $1) <= 1e-3 },
                        "\(what): attention (float16)")
                    #expect(a.tokens == l.tokens, "\(what): tokens")
                    for (tag, p) in zip(a.tagIDs, a.tagProbs) {
                        #expect(
                            a.allTagProbs[Int(tag)] == p,
                            "\(what): all_tag_probs[\(tag)] is the selected tag's probability")
                    }
                }
            }
        }
    }
}
