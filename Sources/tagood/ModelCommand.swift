import ArgumentParser
import Model
import TagoodSupport
import Tensor

/// `tagood model`: make and inspect RAM weight files.
struct ModelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "model",
        abstract: "Make and inspect RAM weight files (safetensors, PyTorch .pth).",
        subcommands: [Init.self, Info.self]
    )

    /// `tagood model init`: deterministic random weights.
    struct Init: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "init",
            abstract: "Write deterministic random RAM or RAM++ weights (for tests, benches and the demo).",
            discussion: """
                The same --config, --seed and --tags always give the same file. Weights are truncated-normal \
                with std 0.02, biases 0, LayerNorms 1/0 (timm's initialisation). The config is stored in the \
                file's metadata, so `tagood model info` and the loaders find it.

                With --ram-plus the weights are RAM++'s: `label_embed` holds --descriptions rows per tag (51, as \
                in ram_plus_swin_large_14m.pth) and `reweight_scale` is log(1/0.07).

                Example:
                  tagood model init --config swin_l_384 --seed 0 -o ram-random.safetensors
                  tagood model init --config swin_l_384 --ram-plus --seed 0 -o ram-plus-random.safetensors
                """
        )

        @Option(
            help: "A built-in (swin_l_384, swin_b_384, test_tiny, test_shift, test_small) or a RAM-format .json file.")
        var config: String = "swin_l_384"

        @Option(help: "Seed of the random weights.") var seed: UInt64 = 0

        @Option(help: "Number of tags (label_embed rows); default: the config's (4585 for RAM).") var tags: Int?

        @Option(help: "Stored type: f32, f16 or bf16.") var dtype: String = "f32"

        @Flag(help: "RAM++ weights (per-image tag queries from several descriptions per tag).") var ramPlus = false

        @Option(help: "With --ram-plus: label_embed rows per tag.") var descriptions: Int = 51

        @Option(name: [.short, .customLong("output")], help: "The safetensors file to write.") var output: String

        mutating func run() throws {
            var config = try RAMConfig.resolve(self.config, numTags: tags)
            if ramPlus {
                config.head.tagger = .ramPlus(descriptionsPerTag: descriptions)
                try config.validate(source: "--descriptions")
            }
            guard let type = DType(rawValue: dtype.uppercased()), type.isWeightType else {
                throw ValidationError("--dtype must be f32, f16 or bf16")
            }
            let weights = RAMWeights.random(config: config, seed: seed)
            try weights.write(to: output, dtype: type, metadata: ["tagood_seed": String(seed)])
            print(
                "wrote \(output): \(config.modelName), \(Format.count(config.parameterCount)) parameters (\(dtype)), "
                    + "seed \(seed), weights hash \(weights.canonicalHash())")
        }
    }

    /// `tagood model info`: what a weights file holds and whether it fits a config.
    struct Info: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "info",
            abstract: "Show a weights file's config, parameter count, hashes and missing or extra tensors.",
            discussion: """
                Without --config, the config stored by `tagood model init` is used, or a built-in whose shapes \
                all match (e.g. swin_l_384 for RAM's ram_swin_large_14m.pth).
                """
        )

        @Argument(help: "A .safetensors or PyTorch .pth/.pt file.") var file: String

        @Option(help: "Check the file against this config (built-in name or .json).") var config: String?

        @Option(help: "Number of tags for --config.") var tags: Int?

        @Flag(help: "List every extra tensor, not only the first ten.") var allExtra = false

        mutating func run() throws {
            let config = try self.config.map { try RAMConfig.resolve($0, numTags: tags) }
            let s = try CheckpointSummary.inspect(path: file, config: config)
            print("file          \(s.path)")
            print("format        \(s.format.rawValue), \(Format.bytes(s.fileBytes))")
            print("file hash     \(s.fileHash) (XXH64)")
            let types = s.dtypes.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
            print("tensors       \(Format.count(s.tensorCount)) (\(types)), \(Format.count(s.elementCount)) elements")
            guard let c = s.config else {
                print("config        unknown: no tagood metadata and no built-in matches; pass --config")
                throw ExitCode(1)
            }
            let v = c.vision, h = c.head
            print(
                "config        \(c.name) (\(s.configSource ?? "?")): image \(v.imageResolution), embed \(v.embedDim), "
                    + "depths \(v.depths), heads \(v.numHeads), window \(v.windowSize), width \(v.visionWidth)")
            print(
                "tagging head  hidden \(h.hiddenSize), \(h.numHeads) heads, \(h.numLayers) layers, "
                    + "intermediate \(h.intermediateSize), embeds \(h.encoderWidth), \(Format.count(h.numTags)) tags")
            switch h.tagger {
            case .ram: print("model         RAM (fixed tag queries)")
            case .ramPlus(let d):
                print("model         RAM++ (\(d) descriptions per tag, reweighted per image; reweight_scale)")
            }
            print("parameters    \(Format.count(c.parameterCount))")
            print("buffers       \(s.derivedBufferCount) derivable (relative_position_index, attn_mask)")
            print("missing       \(s.missing.count)")
            for name in s.missing.prefix(20) { print("  \(name)") }
            if !s.mismatched.isEmpty {
                print("wrong shape   \(s.mismatched.count)")
                for m in s.mismatched.prefix(20) { print("  \(m.name): \(m.found), expected \(m.expected)") }
            }
            if !s.badTypes.isEmpty { print("wrong dtype   \(s.badTypes.joined(separator: ", "))") }
            print("extra         \(s.extra.count) (ignored)")
            for name in (allExtra ? s.extra : Array(s.extra.prefix(10))) { print("  \(name)") }
            if !allExtra && s.extra.count > 10 { print("  … (--all-extra lists them all)") }
            if let e = s.loadError { print("load error    \(e)") }
            if let hash = s.weightsHash { print("weights hash  \(hash) (canonical float32)") }
            if !s.isComplete { throw ExitCode(1) }
        }
    }
}
