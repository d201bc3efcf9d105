import Foundation
import Tensor
import Testing

@testable import Model

/// The whole forward pass against tools/ram_reference.py (an independent float64 NumPy implementation).
@Suite struct ParityTests {
    @Test(arguments: ["test_shift", "test_small", "test_tiny"])
    func forwardMatchesReference(name: String) throws {
        let config = try RAMConfig.resolve(Fixtures.path("\(name).json"))
        let model = try RAMModel.load(path: Fixtures.path("\(name).safetensors"), config: config)
        let io = try Fixtures.tensors("\(name)-io.safetensors")
        let out = try model.forward(images: io["images"]!)

        let embeds = ErrorStats(out.imageEmbeds, io["image_embeds"]!)
        let probs = ErrorStats(out.probabilities, io["probs"]!)
        print("parity \(name): image_embeds \(embeds); probs \(probs)")
        #expect(embeds.elementRelative < 1e-4 && embeds.normRelative < 1e-5, "image_embeds: \(embeds)")
        #expect(probs.elementRelative < 1e-4, "probs: \(probs)")

        let tags = io["attn_tags"]!.scalars.map { Int($0) }
        let want = io["attn0"]!
        for image in 0..<want.shape[0] {
            let got = try model.layer0Attention(imageEmbeds: out.imageEmbeds, image: image, tags: tags)
            let expected = want.slice(outer: image..<(image + 1)).reshaped(Array(want.shape.dropFirst()))
            let stats = ErrorStats(got, expected)
            print("parity \(name): attention image \(image) \(stats)")
            #expect(stats.elementRelative < 1e-4, "layer-0 attention, image \(image): \(stats)")
        }
    }

    @Test func batchOfOneEqualsItsRowInABatch() throws {
        let config = try RAMConfig.resolve(Fixtures.path("test_shift.json"))
        let model = try RAMModel.load(path: Fixtures.path("test_shift.safetensors"), config: config)
        let images = try Fixtures.tensors("test_shift-io.safetensors")["images"]!
        let both = try model.forward(images: images)
        let second = try model.forward(images: images.slice(outer: 1..<2))
        #expect(second.imageEmbeds.maxAbsoluteDifference(both.imageEmbeds.slice(outer: 1..<2)) < 1e-5)
        #expect(second.probabilities.maxAbsoluteDifference(both.probabilities.slice(outer: 1..<2)) < 1e-6)
    }

    @Test func rejectsImagesOfTheWrongSize() throws {
        let model = RAMModel(weights: RAMWeights.random(config: .testTiny, seed: 1))
        #expect(throws: ModelError.self) { try model.forward(images: Tensor(shape: [1, 3, 16, 16])) }
        #expect(throws: ModelError.self) {
            try model.layer0Attention(imageEmbeds: Tensor(shape: [1, 17, 12]), image: 0, tags: [10])
        }
        let empty = try model.layer0Attention(imageEmbeds: Tensor(shape: [1, 17, 12]), image: 0, tags: [])
        #expect(empty.shape == [4, 0, 17])
    }
}
