import CTagoodCUDA
import Foundation
import TagoodSupport
import Tensor
import Testing

@testable import Model

/// RAM++'s reweighting as libtagood_cuda lays it out (tagood_cuda_index.h: the padded description groups,
/// the logits and weights [images][columns][stride], the mix as one strided-batched product over the
/// columns), replayed on the host through those functions and compared with the CPU path's
/// `TaggingHead.imageQueries`: what passes here is where the device's reweighting reads and writes.
@Suite struct KernelIndexRAMPlusTests {
    @Test(arguments: [1, 2, 7, 8, 9, 51, 64])
    func theDescriptionGroupsArePaddedLabelEmbed(_ descriptions: Int) {
        let stride = Int(tagood_description_stride(Int32(descriptions)))
        #expect(stride % 8 == 0 && stride >= descriptions && stride < descriptions + 8)
        let tags = 5
        var seen = Set<Int64>()
        var bad = 0
        for row in 0..<(tags * stride) {
            let source = tagood_description_source(Int64(row), Int32(descriptions))
            let tag = row / stride, k = row % stride
            let want: Int64 = k < descriptions ? Int64(tag * descriptions + k) : -1
            if source != want { bad += 1 }
            if source >= 0 { seen.insert(source) }
        }
        #expect(bad == 0, "\(bad) rows of \(tags * stride) differ")
        #expect(seen == Set((0..<(tags * descriptions)).map(Int64.init)), "not every label_embed row is used once")
    }

    @Test func theWeightsLayoutIsImageColumnDescription() {
        let columns = 719, stride = Int(tagood_description_stride(51))
        #expect(stride == 56)
        var expected: Int64 = 0
        var bad = 0
        for image in 0..<3 {
            for column in [0, 1, 500, 718] {
                for k in [0, 50, 55] {
                    expected = Int64((image * columns + column) * stride + k)
                    let got = tagood_description_weight_offset(
                        Int32(image), Int32(column), Int32(k), Int32(columns), Int32(stride))
                    if got != expected { bad += 1 }
                }
                if tagood_head_row(Int32(image), Int32(column), Int32(columns)) != Int64(image * columns + column) {
                    bad += 1
                }
            }
        }
        #expect(bad == 0)
    }

    /// A small RAM++ (test_shift's head, `descriptions` rows per tag), with non-zero biases in wordvec_proj and
    /// layer 0's query and a reweight_scale of 4 (so that the softmax over the descriptions is far from flat).
    static func model(descriptions: Int, tags: Int) -> (RAMModel, [String: Tensor]) {
        var config = RAMConfig.testShift
        config.head.numTags = tags
        config.head.tagger = .ramPlus(descriptionsPerTag: descriptions)
        var weights = RAMWeights.random(config: config, seed: 26)
        var rng = SplitMix64(seed: 2026)
        for name in [
            "wordvec_proj.bias", "tagging_head.encoder.layer.0.crossattention.self.query.bias"
        ] {
            let n = weights.tensors[name]!.count
            weights.tensors[name] = Tensor(shape: [n], scalars: (0..<n).map { _ in 0.05 * rng.truncatedNormal() })
        }
        weights.tensors["reweight_scale"] = Tensor(shape: [], scalars: [4])
        let tensors = weights.tensors
        return (RAMModel(weights: weights), tensors)
    }

    @Test(arguments: [(51, 30, [3, 0, 29, 17, 8]), (5, 12, Array(0..<12)), (8, 9, [4]), (1, 6, [5, 1])])
    func theReweightedQueriesAreTheCPUPaths(_ shape: (Int, Int, [Int])) throws {
        let (descriptions, numTags, tags) = shape
        let (model, w) = Self.model(descriptions: descriptions, tags: numTags)
        let config = model.config.head
        let n = 3, l1 = model.config.imageTokens, e = config.encoderWidth, d = config.hiddenSize
        let columns = tags.count, stride = Int(tagood_description_stride(Int32(descriptions)))
        var rng = SplitMix64(seed: 7)
        let embeds = (0..<(n * l1 * e)).map { _ in rng.truncatedNormal() }

        // The CPU path.
        var cpuX = [Float](repeating: 0, count: n * columns * d), cpuQ = cpuX
        embeds.withUnsafeBufferPointer { emb in
            cpuX.withUnsafeMutableBufferPointer { x in
                cpuQ.withUnsafeMutableBufferPointer { q in
                    model.head.imageQueries(
                        emb.baseAddress!, images: n, tokens: l1, tags: tags, x: x.baseAddress!, q0: q.baseAddress!)
                }
            }
        }

        // The device's layout, through the index functions (float64).
        let label = w["label_embed"]!.scalars.map(Double.init)
        var groups = [Double](repeating: .nan, count: numTags * stride * e) // pad_descriptions
        for row in 0..<(numTags * stride) {
            let source = Int(tagood_description_source(Int64(row), Int32(descriptions)))
            for c in 0..<e { groups[row * e + c] = source < 0 ? 0 : label[source * e + c] }
        }
        var columnGroups = [Double]() // gather_rows of the columns' groups
        for tag in tags { columnGroups += groups[(tag * stride * e)..<((tag + 1) * stride * e)] }
        var cls = [Double](repeating: 0, count: n * e) // cls_rows
        for i in 0..<n {
            let row = embeds[(i * l1 * e)..<(i * l1 * e + e)].map(Double.init)
            let norm = row.reduce(0) { $0 + $1 * $1 }.squareRoot()
            for c in 0..<e { cls[i * e + c] = row[c] / norm }
        }
        let scale = exp(Double(w["reweight_scale"]!.scalars[0]))
        var weights = [Double](repeating: .nan, count: n * columns * stride)
        for i in 0..<n {
            for j in 0..<columns {
                // The logits product's row i, columns j · stride ..< (j + 1) · stride, then grouped_softmax.
                var logits = [Double](repeating: 0, count: stride)
                for k in 0..<stride {
                    var dot = 0.0
                    for c in 0..<e { dot += cls[i * e + c] * columnGroups[(j * stride + k) * e + c] }
                    logits[k] = scale * dot
                }
                let top = logits[0..<descriptions].max()!
                let sum = logits[0..<descriptions].reduce(0) { $0 + exp($1 - top) }
                for k in 0..<stride {
                    let offset = Int(
                        tagood_description_weight_offset(Int32(i), Int32(j), Int32(k), Int32(columns), Int32(stride)))
                    weights[offset] = k < descriptions ? exp(logits[k] - top) / sum : 0
                }
            }
        }
        // The mix: batch j, A = weights + j · stride (lda columns · stride), B = groups + j · stride · E (ldb E),
        // C = mixed + j · E (ldc columns · E).
        var mixed = [Double](repeating: .nan, count: n * columns * e)
        for j in 0..<columns {
            for i in 0..<n {
                for c in 0..<e {
                    var sum = 0.0
                    for k in 0..<stride {
                        sum += weights[j * stride + i * columns * stride + k] * columnGroups[j * stride * e + k * e + c]
                    }
                    mixed[j * e + i * columns * e + c] = sum
                }
            }
        }
        let wv = w["wordvec_proj.weight"]!.scalars, wb = w["wordvec_proj.bias"]!.scalars
        let q0 = "tagging_head.encoder.layer.0.crossattention.self.query"
        let qw = w[q0 + ".weight"]!.scalars, qb = w[q0 + ".bias"]!.scalars
        var worstX = 0.0, worstQ = 0.0, normX = 0.0, normQ = 0.0
        for i in 0..<n {
            for j in 0..<columns {
                let row = Int(tagood_head_row(Int32(i), Int32(j), Int32(columns)))
                var x = [Double](repeating: 0, count: d)
                for o in 0..<d {
                    var sum = Double(wb[o])
                    for c in 0..<e { sum += mixed[row * e + c] * Double(wv[o * e + c]) }
                    x[o] = max(sum, 0)
                }
                for o in 0..<d {
                    var sum = Double(qb[o])
                    for c in 0..<d { sum += x[c] * Double(qw[o * d + c]) }
                    worstX = max(worstX, abs(x[o] - Double(cpuX[row * d + o])))
                    worstQ = max(worstQ, abs(sum - Double(cpuQ[row * d + o])))
                    normX = max(normX, abs(x[o]))
                    normQ = max(normQ, abs(sum))
                }
            }
        }
        #expect(!mixed.contains { $0.isNaN } && !weights.contains { $0.isNaN }, "a row was never written")
        #expect(normX > 0 && normQ > 0)
        #expect(worstX <= 1e-5 * normX, "x: worst error \(worstX) of max \(normX)")
        #expect(worstQ <= 1e-5 * normQ, "q0: worst error \(worstQ) of max \(normQ)")
    }
}
