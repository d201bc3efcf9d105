import ArgumentParser
import Foundation
import Model
import TagoodSupport
import Tensor

/// `tagood-bench forward`: RAM forward throughput (fp32, random weights in memory) and peak memory.
struct BenchForward: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "forward",
        abstract: "Time RAM's forward pass (encoder + image_proj + tagging head) on random weights and images."
    )

    @Option(help: "A built-in (swin_l_384, swin_b_384, test_*) or a RAM-format .json file.")
    var config: String = "swin_l_384"

    @Option(help: "Images per forward call.") var batch: Int = 1

    @Option(help: "Timed forward calls (after one untimed warm-up call).") var iterations: Int = 2

    @Option(help: "OpenBLAS threads (default: OpenBLAS's own choice, OPENBLAS_NUM_THREADS or all cores).")
    var threads: Int?

    @Flag(help: "Skip the warm-up call.") var noWarmup = false

    @Option(
        help: ArgumentHelp(
            "Also time the extraction's way for an ID image: the encoder, then only this many tags (RAM's ImageNet "
                + "map has 719 ID tags of 4585), alternating with the full pass; prints both and the ratio.",
            valueName: "tags"))
    var idTags: Int?

    @Flag(help: "RAM++: 51 descriptions per tag, mixed per image (ram_plus_swin_large_14m.pth's shapes).")
    var ramPlus = false

    @OptionGroup var results: BenchOutput

    mutating func run() throws {
        guard batch >= 1, iterations >= 1 else { throw ValidationError("--batch and --iterations must be at least 1") }
        BLAS.reexecWithPreferredKernelsIfNeeded()
        if let threads { BLAS.setThreadCount(threads) }
        var config = try RAMConfig.resolve(self.config)
        if ramPlus { config.head.tagger = .ramPlus(descriptionsPerTag: 51) }
        let (model, loadSeconds) = Stopwatch.time { RAMModel(weights: RAMWeights.random(config: config, seed: 0)) }
        let r = config.vision.imageResolution
        var rng = SplitMix64(seed: 7)
        let images = Tensor(shape: [batch, 3, r, r]) { out in
            for i in 0..<out.count { out[i] = rng.truncatedNormal() }
        }
        if !noWarmup { _ = try model.forward(images: images) }
        var times: [Double] = []
        for _ in 0..<iterations {
            let (out, seconds) = try Stopwatch.time { try model.forward(images: images) }
            times.append(seconds)
            guard out.probabilities.scalars.allSatisfy(\.isFinite) else {
                throw ValidationError(
                    "the forward pass produced non-finite probabilities (OpenBLAS \(BLAS.coreName) kernels)")
            }
        }
        if let idTags {
            try compareIDTags(model: model, images: images, tags: Array(0..<min(idTags, config.head.numTags)))
            return
        }
        let median = Stopwatch.median(times)
        let imagesPerSecond = Double(batch) / median
        let peak = Self.peakRSSMegabytes()
        let name = "forward-\(config.modelName)"
        if results.json {
            results.print(
                name, "images/s", imagesPerSecond,
                [
                    ("peak_rss_mb", "\(peak)"), ("batch", "\(batch)"), ("threads", "\(BLAS.threadCount)"),
                    ("blas_core", BLAS.coreName), ("seconds_per_batch", "\(median)"),
                    ("setup_seconds", "\(loadSeconds)")
                ])
        } else {
            print(
                "\(name): \(Format.fixed(imagesPerSecond, 3)) images/s (batch \(batch), \(BLAS.threadCount) BLAS "
                    + "threads, OpenBLAS \(BLAS.coreName) kernels, median of \(iterations): \(Format.fixed(median, 2)) s "
                    + "per batch), peak RSS \(Format.fixed(peak, 0)) MB, weights set up in "
                    + "\(Format.fixed(loadSeconds, 1)) s")
        }
    }

    /// Alternates the full pass and the ID-tags-only pass (encoder + `tags` of the head) and prints both
    /// medians and the speed-up, measured in the same run.
    private func compareIDTags(model: RAMModel, images: Tensor, tags: [Int]) throws {
        var full: [Double] = [], subset: [Double] = []
        for _ in 0..<iterations {
            full.append(try Stopwatch.seconds { _ = try model.forward(images: images) })
            subset.append(
                try Stopwatch.seconds {
                    let embeds = try model.encodeImages(images)
                    _ = try model.tagProbabilities(imageEmbeds: embeds, tags: tags)
                })
        }
        let f = Stopwatch.median(full), s = Stopwatch.median(subset)
        let name = "forward-id-tags-\(model.config.modelName)"
        if results.json {
            results.print(
                name, "images/s", Double(batch) / s,
                [
                    ("vs_all_tags", Format.fixed(f / s, 3)), ("all_tags_images_per_s", "\(Double(batch) / f)"),
                    ("id_tags", "\(tags.count)"), ("batch", "\(batch)"), ("threads", "\(BLAS.threadCount)")
                ])
        } else {
            print(
                "\(name): \(tags.count) of \(model.config.head.numTags) tags: \(Format.fixed(s, 2)) s per batch "
                    + "against \(Format.fixed(f, 2)) s with every tag (\(Format.fixed(f / s, 2))×; medians of "
                    + "\(iterations), batch \(batch), \(BLAS.threadCount) threads)")
        }
    }

    /// The process's peak resident set (VmHWM in /proc/self/status), in MB.
    static func peakRSSMegabytes() -> Double {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
        for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            let kb = line.split(separator: " ").compactMap { Double($0) }.first ?? 0
            return kb / 1024
        }
        return 0
    }
}
