import ArgumentParser
import Foundation
import Learning
import TagoodSupport
import Tensor

/// `tagood-bench train`: training samples/s of TagOOD's projector, one full step at a time (forward with
/// dropout, the loss, the backward pass, AdamW, the schedule and the EMA of the centers).
///
/// Batches are synthetic: each image gets a token count drawn uniformly from 1…`--max-tokens` and standard
/// normal tokens, as `tools/projector_reference.py bench` draws them for the authors' PyTorch step. The
/// first step is a warm-up; the result is the median step.
struct BenchTrain: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Time training steps of the projector on synthetic batches and report samples/s."
    )

    @OptionGroup var shape: ProjectorBenchShape

    @Option(help: "Timed steps (after one warm-up step).") var steps: Int = 5

    @OptionGroup var results: BenchOutput

    mutating func run() throws {
        guard steps >= 1 else { throw ValidationError("--steps must be at least 1") }
        let (projector, centers) = try shape.randomProjector()
        let step = TrainingStep(
            projector: projector, centers: centers, optimiser: AdamW(),
            schedule: CosineSchedule(baseLR: 0.01, totalSteps: 100 * (steps + 1)))
        var rng = SplitMix64(seed: shape.seed)
        var times: [Double] = []
        var tokens = 0
        for s in 0...steps {
            let batch = shape.syntheticBatch(&rng, labels: true)
            let seconds = Stopwatch.seconds { step.run(batch, dropout: .init(seed: 42, step: UInt64(s))) }
            if s > 0 { times.append(seconds); tokens += batch.tokens.rows }
        }
        let median = Stopwatch.median(times)
        let meanTokens = Double(tokens) / Double(steps * shape.batch)
        results.print(
            "train", "samples/s", Double(shape.batch) / median,
            [
                ("median_step_s", Format.fixed(median, 4)), ("batch", String(shape.batch)),
                ("threads", String(shape.threads)), ("mean_tokens", Format.fixed(meanTokens, 1))
            ])
    }
}

/// `tagood-bench score`: images/s of the `tagood-learned` score (the projector in eval mode, the cosine
/// against every class's centers, the max) on synthetic token lists, as the reducer scores a shard.
struct BenchScore: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "score",
        abstract: "Time the learned-center score (eval forward + cosine against the centers); report images/s."
    )

    @OptionGroup var shape: ProjectorBenchShape

    @Option(help: "Images scored per timed run.") var images: Int = 1024

    @Option(help: "Timed runs (after one warm-up run).") var runs: Int = 3

    @OptionGroup var results: BenchOutput

    mutating func run() throws {
        guard images >= 1, runs >= 1 else { throw ValidationError("--images and --runs must be at least 1") }
        let (projector, centers) = try shape.randomProjector()
        let config = projector.config
        let scorer = LearnedScorer(projector: projector, centers: centers, path: "random weights")
        scorer.batchImages = shape.batch
        var rng = SplitMix64(seed: shape.seed)
        let inputs: [(tokens: [Float], tokenCount: Int, tagMax: Float)] = (0..<images).map { _ in
            let k = shape.tokenCount(&rng)
            return ((0..<(k * config.inputWidth)).map { _ in rng.truncatedNormal() }, k, 0.5 + rng.unit() / 2)
        }
        var times: [Double] = []
        for r in 0...runs {
            let (scores, seconds) = Stopwatch.time { scorer.scores(inputs) }
            guard scores.allSatisfy(\.isFinite) else { throw ValidationError("the learned score is not finite") }
            if r > 0 { times.append(seconds) }
        }
        let median = Stopwatch.median(times)
        results.print(
            "score", "images/s", Double(images) / median,
            [("images", String(images)), ("batch", String(shape.batch)), ("threads", String(shape.threads))])
    }
}

/// The projector and synthetic data the training and scoring benches share (the same flags as
/// `tools/projector_reference.py bench`).
struct ProjectorBenchShape: ParsableArguments {
    @Option(help: "Images per batch.") var batch: Int = 256
    @Option(help: "Classes (the classifier's outputs and the centers).") var classes: Int = 1000
    @Option(help: "Token counts are drawn uniformly from --min-tokens to this.") var maxTokens: Int = 40
    @Option(help: "The fewest tokens an image gets (equal to --max-tokens: batches without padding).")
    var minTokens: Int = 1
    @OptionGroup var threadOptions: ThreadOptions
    @Option(help: "Seed of the synthetic data.") var seed: UInt64 = 1

    /// `--threads`.
    var threads: Int { threadOptions.threads }

    /// Sets the thread count and returns the authors' projector shape for `--classes`.
    func configure() throws -> ProjectorConfig {
        guard batch >= 1, classes >= 2, minTokens >= 1, maxTokens >= minTokens, threads >= 1 else {
            throw ValidationError(
                "--batch, --min-tokens and --threads must be at least 1, --max-tokens at least "
                    + "--min-tokens, --classes at least 2")
        }
        let config = ProjectorConfig(classes: classes)
        guard maxTokens <= config.maxTokens else {
            throw ValidationError("--max-tokens is at most \(config.maxTokens)")
        }
        BLAS.reexecWithPreferredKernelsIfNeeded()
        BLAS.setThreadCount(threads)
        return config
    }

    /// The authors' projector for `--classes` with seeded initial weights, and seeded standard-normal centers
    /// (after ``configure()``'s checks and thread count).
    func randomProjector() throws -> (Projector<Float>, ClassCenters<Float>) {
        let config = try configure()
        let projector = Projector<Float>(config: config)
        projector.parameters.initialise(config: config, seed: 0)
        let centers = ClassCenters<Float>(classes: config.classes, width: config.width)
        centers.initialise(seed: 1)
        return (projector, centers)
    }

    /// A token count drawn uniformly from `--min-tokens`…`--max-tokens`.
    func tokenCount(_ rng: inout SplitMix64) -> Int {
        minTokens + Int(rng.next() % UInt64(maxTokens - minTokens + 1))
    }

    /// A batch of `batch` images with random token counts, standard-normal tokens and random labels.
    func syntheticBatch(_ rng: inout SplitMix64, labels: Bool) -> ProjectorBatch<Float> {
        let batch = ProjectorBatch<Float>(inputWidth: 512)
        for _ in 0..<self.batch {
            let k = tokenCount(&rng)
            let values = (0..<(k * 512)).map { _ in rng.truncatedNormal() }
            values.withUnsafeBufferPointer {
                batch.append(tokens: $0, tokenCount: k, label: labels ? Int(rng.next() % UInt64(classes)) : -1)
            }
        }
        return batch
    }
}
