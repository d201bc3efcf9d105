import Foundation
import TagoodSupport
import Testing

@testable import Model

@Suite struct SummaryTests {
    @Test func infoOfAWrappedPytorchFileInfersTheConfig() throws {
        let s = try CheckpointSummary.inspect(path: Fixtures.path("test_tiny-wrapped-f16.pth"))
        #expect(s.format == .pytorch)
        #expect(s.config == .testTiny && s.configSource == "inferred")
        #expect(s.isComplete && s.missing.isEmpty)
        #expect(
            Set(s.extra) == [
                "text_decoder.bert.embeddings.word_embeddings.weight", "tagging_head.embeddings.position_ids"
            ])
        #expect(s.dtypes["F16"] == 100)
        #expect(s.fileHash.count == 16)
    }

    @Test func canonicalHashIsTheSameAcrossFormats() throws {
        let a = try CheckpointSummary.inspect(path: Fixtures.path("test_tiny.safetensors"), config: .testTiny)
        let b = try CheckpointSummary.inspect(path: Fixtures.path("test_tiny-plain.pth"))
        #expect(a.weightsHash != nil && a.weightsHash == b.weightsHash)
        #expect(b.derivedBufferCount == 5) // 4 relative_position_index + 1 attn_mask
        #expect(a.fileHash != b.fileHash)
    }

    @Test func infoAgainstTheWrongConfigListsMissingAndMismatched() throws {
        let s = try CheckpointSummary.inspect(path: Fixtures.path("test_tiny.safetensors"), config: .testSmall)
        #expect(!s.isComplete)
        #expect(s.missing.contains("visual_encoder.layers.1.blocks.2.norm1.weight"))
        #expect(s.mismatched.contains(.init(name: "visual_encoder.patch_embed.proj.bias", expected: [16], found: [8])))
        #expect(s.weightsHash == nil)
    }

    @Test func initWritesConfigMetadataThatInfoReads() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path + "/m.safetensors"
        var config = RAMConfig.testShift
        config.head.numTags = 7
        try RAMWeights.random(config: config, seed: 5).write(to: path, dtype: .bf16)
        let s = try CheckpointSummary.inspect(path: path)
        #expect(s.config == config && s.configSource == "metadata")
        #expect(s.dtypes == ["BF16": config.parameterSpecs.count])
        #expect(s.isComplete)
    }
}
