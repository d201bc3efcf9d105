import ArgumentParser
import Foundation
import Shards
import TagoodSupport

/// `tagood-bench shard-write`: how fast the shard writer stores token data.
///
/// Writes one shard of synthetic images (seeded random tokens, as float32 rows the way the extractor hands
/// them over) and reports MB/s of stored token data (`tokens` bytes / seconds), timing everything from
/// creating the writer to the committed, fsync'd and renamed file, including the content and file
/// checksums. `tools/bench/shard_write_reference.py` writes the same shapes, dtype and chunking with h5py.
struct BenchShardWrite: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "shard-write",
        abstract: "Write a synthetic shard and report MB/s of token data."
    )

    @Option(help: "Images in the shard.") var images: Int = 2000

    @OptionGroup var tokens: SyntheticTokenOptions

    @Option(help: "Token dtype: f16 or f32.") var dtype: String = "f16"

    @Option(help: "Image tokens (attention width; RAM at 384 px: 145).") var imageTokens: Int = 145

    @Option(help: "Tags per image.") var tagsPerImage: Int = 8

    @Option(help: "Random seed.") var seed: UInt64 = 42

    @Option(help: "Staged bytes per dataset that trigger a write of its whole chunks (default: the writer's, 1 MiB).")
    var bufferBytes: Int?

    @OptionGroup var results: BenchOutput

    mutating func run() throws {
        guard let tokenDType = TokenDType(name: dtype) else {
            throw ValidationError("--dtype must be f16 or f32, not \(dtype)")
        }
        let embedDim = tokens.embedDim
        guard images >= 0, tokens.tokensPerImage >= 0, embedDim > 0, imageTokens > 0, tagsPerImage >= 0,
            (bufferBytes ?? 1) > 0
        else {
            throw ValidationError("counts must be non-negative, and widths and --buffer-bytes positive")
        }
        let scratch = try results.scratch(prefix: "tagood-bench-shard")
        let path = scratch.path + "/bench-shard.h5"

        // A pool of distinct synthetic images, cycled: memory stays small while every row is random.
        var rng = SplitMix64(seed: seed)
        let pool = (0..<min(max(images, 1), 64)).map { _ in
            SyntheticImage(
                rng: &rng, tokens: tokens.tokensPerImage, embedDim: embedDim, imageTokens: imageTokens,
                tags: tagsPerImage)
        }
        let metadata = ShardMetadata(
            jobID: "bench", datasetHash: "bench", shardIndex: 0, dataset: "synthetic", role: .idTrain,
            modelName: "synthetic", modelHash: "none", preprocessing: "none", tagThreshold: 0.68,
            attentionThreshold: 0.5, embedDim: embedDim, imageTokens: imageTokens)
        let (summary, seconds) = try Stopwatch.time {
            var options = ShardWriter.Options(tokenDType: tokenDType)
            if let bufferBytes { options.bufferBytes = bufferBytes }
            let writer = try ShardWriter(path: path, metadata: metadata, options: options)
            for i in 0..<images {
                let image = pool[i % pool.count]
                try writer.append(
                    ShardRecord(
                        path: "synthetic/\(i / 1000)/image-\(i).jpg", label: Int32(i % 1000), tokens: image.tokens,
                        tokenIndex: image.tokenIndex, globalEmbed: image.globalEmbed, tagIDs: image.tagIDs,
                        tagProbs: image.tagProbs, attention: image.attention))
            }
            return try writer.commit()
        }
        let tokenBytes = Double(summary.tokens * embedDim * tokenDType.byteSize)
        results.print(
            "shard-write", "MB/s", tokenBytes / 1e6 / seconds,
            [
                ("images", String(images)), ("tokens", String(summary.tokens)),
                ("token_mb", Format.fixed(tokenBytes / 1e6, 1)),
                ("file_mb", Format.fixed(Double(summary.fileBytes) / 1e6, 1)),
                ("seconds", Format.fixed(seconds, 3))
            ])
    }
}

/// One synthetic image's record fields.
private struct SyntheticImage {
    var tokens: [Float], tokenIndex: [Int16], globalEmbed: [Float], tagIDs: [Int32], tagProbs: [Float]
    var attention: [Float]

    init(rng: inout SplitMix64, tokens count: Int, embedDim: Int, imageTokens: Int, tags: Int) {
        tokens = (0..<count * embedDim).map { _ in rng.truncatedNormal() }
        tokenIndex = (0..<count).map { Int16($0 % imageTokens) }
        globalEmbed = (0..<embedDim).map { _ in rng.truncatedNormal() }
        tagIDs = (0..<tags).map { _ in Int32(rng.next() % 4585) }
        tagProbs = (0..<tags).map { _ in 0.5 + rng.unit() / 2 }
        attention = (0..<imageTokens).map { _ in rng.unit() }
    }
}
