import ArgumentParser
import Foundation
import Model
import TagoodSupport
import Tensor

/// `tagood-bench gpu-reference`: the CPU path's outputs on a few images, for the device check's whole-model
/// parity (tools/gpu/check.sh, which runs where there is no Swift). tools/gpu/make_reference.sh writes the
/// committed ones.
///
/// Writes into the output folder: `weights.safetensors` (random weights, with non-zero biases and LayerNorm
/// parameters, stored as bf16 so that the file is small; the CPU model here runs on exactly those values),
/// `images.bf16` (the preprocessed images [N, 3, R, R] as little-endian bf16, likewise), and the CPU model's
/// outputs as little-endian float32:
/// `image_embeds.f32` [N, L + 1, E], `probs_all.f32` [N, tags] (every tag), `probs_id.f32` [N, K] (the ID
/// tags), `attention_id.f32` [N, heads, K, L + 1] (layer 0's attention of the ID tags), and
/// `others_fire.u8` [N] (whether any non-ID tag's probability is > 0.5: RAMModel.anyTagFires). The ID tags
/// are every `--id-every`-th tag from 1. `manifest.json` lists the config, the shapes and the ID tags. A RAM++
/// config (`"tagger": "ram_plus"`) gives RAM++'s outputs: its queries reweighted per image, layer 0's attention
/// from them.
struct BenchGPUReference: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gpu-reference",
        abstract: "Write the CPU path's outputs on random weights and images for the GPU device check."
    )

    @Option(help: "A built-in (test_shift, ...) or a RAM-format .json file.") var config: String = "test_shift"

    @Option(help: "Images.") var images: Int = 2

    @Option(help: "Seed of the weights (the images use seed + 1).") var seed: UInt64 = 0

    @Option(help: "The ID tags are tags 1, 1 + n, 1 + 2n, ...") var idEvery: Int = 3

    @Option(help: "The tag threshold for others_fire.") var tagThreshold: Float = 0.5

    @Option(name: [.short, .customLong("output")], help: "The folder to write (created if missing).")
    var output: String

    mutating func run() throws {
        guard images >= 1, idEvery >= 1 else { throw ValidationError("--images and --id-every must be at least 1") }
        let config = try RAMConfig.resolve(self.config)
        try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
        let weightsPath = output + "/weights.safetensors"
        try Self.weights(config: config, seed: seed).write(
            to: weightsPath, dtype: .bf16, metadata: ["tagood_seed": String(seed)])
        // The model runs on the stored (bf16-rounded) weights, as the device check does.
        let model = try RAMModel.load(path: weightsPath, config: config)

        let r = config.vision.imageResolution, c = config.vision.inputChannels
        var rng = SplitMix64(seed: seed &+ 1)
        var bits = [UInt16]()
        let pixels = Tensor(shape: [images, c, r, r]) { out in
            for i in 0..<out.count {
                let b = Self.bfloat16(rng.truncatedNormal())
                bits.append(b)
                out[i] = Float(bitPattern: UInt32(b) << 16)
            }
        }
        try Self.write(bits.withUnsafeBytes { Data($0) }, to: output + "/images.bf16")

        let embeds = try model.encodeImages(pixels)
        let probsAll = try model.tagProbabilities(imageEmbeds: embeds)
        let idTags = Array(stride(from: min(1, config.head.numTags - 1), to: config.head.numTags, by: idEvery))
        let probsID = try model.tagProbabilities(imageEmbeds: embeds, tags: idTags)
        var attention: [Float] = []
        var fires: [UInt8] = []
        let ids = Set(idTags)
        let others = (0..<config.head.numTags).filter { !ids.contains($0) }
        for i in 0..<images {
            attention += try model.layer0Attention(imageEmbeds: embeds, image: i, tags: idTags).scalars
            let fired = try model.anyTagFires(imageEmbeds: embeds, image: i, tags: others, threshold: tagThreshold)
            fires.append(fired ? 1 : 0)
        }
        try Self.write(floats: embeds.scalars, to: output + "/image_embeds.f32")
        try Self.write(floats: probsAll.scalars, to: output + "/probs_all.f32")
        try Self.write(floats: probsID.scalars, to: output + "/probs_id.f32")
        try Self.write(floats: attention, to: output + "/attention_id.f32")
        try Self.write(Data(fires), to: output + "/others_fire.u8")

        let l1 = config.imageTokens, e = config.head.encoderWidth, heads = config.head.numHeads
        let manifest: [String: Any] = [
            "name": config.name, "config": config.json, "images": images, "seed": Int(seed),
            "image_shape": [images, c, r, r], "id_tags": idTags, "tag_threshold": Double(tagThreshold),
            "shapes": [
                "image_embeds": [images, l1, e], "probs_all": [images, config.head.numTags],
                "probs_id": [images, idTags.count], "attention_id": [images, heads, idTags.count, l1],
                "others_fire": [images]
            ],
            "made_by": "tagood-bench gpu-reference (the CPU path, fp32)"
        ]
        let json = try JSONSerialization.data(withJSONObject: manifest, options: [.prettyPrinted, .sortedKeys])
        try Self.write(json, to: output + "/manifest.json")
        print(
            "gpu-reference: \(config.name), \(images) images, \(idTags.count) ID tags of \(config.head.numTags), "
                + "others fired for \(fires.filter { $0 == 1 }.count) → \(output)")
    }

    /// RAM++'s `reweight_scale` in the references: exp(4) ≈ 55 (against log(1 / 0.07)'s 14), so that with
    /// random description rows the softmax over a tag's descriptions is far from flat and a wrong weight shows.
    static let referenceReweightScale: Float = 4

    /// `RAMWeights.random`, with every bias and LayerNorm parameter made non-zero (biases and LayerNorm
    /// shifts ±0.02·N(0, 1), LayerNorm scales 1 + 0.1·N(0, 1)), so that every bias path of the device's
    /// kernels is checked; RAM++'s `reweight_scale` is ``referenceReweightScale``.
    static func weights(config: RAMConfig, seed: UInt64) -> RAMWeights {
        var weights = RAMWeights.random(config: config, seed: seed)
        var rng = SplitMix64(seed: seed ^ 0x5EED_B1A5)
        for spec in config.parameterSpecs where spec.initialization != .normal {
            if case .constant = spec.initialization {
                weights.tensors[spec.name] = Tensor(
                    shape: spec.shape, scalars: [Float](repeating: referenceReweightScale, count: spec.elementCount))
                continue
            }
            let ones = spec.initialization == .ones
            weights.tensors[spec.name] = Tensor(
                shape: spec.shape,
                scalars: (0..<spec.elementCount).map { _ in
                    ones ? 1 + 0.1 * rng.truncatedNormal() : 0.02 * rng.truncatedNormal()
                })
        }
        return weights
    }

    /// Round to nearest even, as bf16 bits.
    static func bfloat16(_ x: Float) -> UInt16 {
        let b = x.bitPattern
        return UInt16(truncatingIfNeeded: (b &+ 0x7FFF &+ ((b >> 16) & 1)) >> 16)
    }

    static func write(floats: [Float], to path: String) throws {
        try write(floats.withUnsafeBytes { Data($0) }, to: path)
    }

    static func write(_ data: Data, to path: String) throws {
        try data.write(to: URL(fileURLWithPath: path))
    }
}
