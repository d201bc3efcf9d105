import Foundation
import Model
import TagoodSupport
import Testing

@testable import Learning

/// The whole projector: its backward pass against finite differences (dropout on), padding, the EMA rule,
/// checkpoints.
@Suite struct ProjectorTests {
    static let config = ProjectorConfig(
        inputWidth: 6, width: 8, heads: 2, layers: 2, mlpWidth: 12, maxTokens: 5, patterns: 4,
        classes: 3, dropout: 0.25)

    static func batch<T: LearningScalar>(_ counts: [Int], labels: [Int], seed: UInt64, as: T.Type) -> ProjectorBatch<T>
    {
        let b = ProjectorBatch<T>(inputWidth: config.inputWidth)
        for (i, k) in counts.enumerated() {
            let values = GradientCheck.random(k * config.inputWidth, seed: seed + UInt64(i)).map { T($0) }
            values.withUnsafeBufferPointer { b.append(tokens: $0, tokenCount: k, label: labels[i]) }
        }
        return b
    }

    @Test func fullBackwardPassMatchesFiniteDifferencesWithDropout() {
        let projector = Projector<Double>(config: Self.config)
        projector.parameters.initialise(config: Self.config, seed: 3)
        // Non-trivial LayerNorms, CLS token and biases, so that every gradient is exercised.
        for e in projector.parameters.entries {
            let p = projector.parameters.storage.pointer + e.offset
            for (j, v) in GradientCheck.random(e.count, seed: UInt64(e.offset) + 99, scale: 0.2).enumerated() {
                p[j] += v
            }
        }
        let centers = ClassCenters<Double>(classes: 3, width: 8)
        centers.initialise(seed: 5)
        let step = TrainingStep(
            projector: projector, centers: centers, optimiser: AdamW(),
            schedule: CosineSchedule(baseLR: 0.01, totalSteps: 10))
        let batch = Self.batch([3, 1, 5], labels: [2, 0, 2], seed: 11, as: Double.self)
        let draw = Projector<Double>.DropoutDraw(seed: 9, step: 4) // the same masks on every evaluation
        _ = step.lossAndGradients(batch, dropout: draw)
        let analytic = step.gradients.storage.values
        let p = projector.parameters.storage.pointer
        var worst = 0.0
        for e in projector.parameters.entries where e.trainable {
            let numeric = GradientCheck.numeric(p + e.offset, count: e.count) {
                step.lossAndGradients(batch, dropout: draw).loss
            }
            let error = GradientCheck.relativeError(Array(analytic[e.offset..<(e.offset + e.count)]), numeric)
            worst = max(worst, error)
            #expect(error < 1e-6, "\(e.name): relative error \(error)")
        }
        #expect(worst > 0)
    }

    @Test func aPaddedSampleGivesTheSameFeatureAsTheSampleAlone() {
        let projector = Projector<Float>(config: Self.config)
        projector.parameters.initialise(config: Self.config, seed: 1)
        let alone = Self.batch([3], labels: [0], seed: 20, as: Float.self)
        // The same sample with two all-zero rows after its tokens (the authors' padding), in a batch with others.
        let padded = ProjectorBatch<Float>(inputWidth: 6)
        let other = GradientCheck.random(4 * 6, seed: 50).map(Float.init)
        other.withUnsafeBufferPointer { padded.append(tokens: $0, tokenCount: 4, label: 1) }
        var tokens = Array(UnsafeBufferPointer(start: alone.tokens.pointer, count: 18))
        tokens += [Float](repeating: 0, count: 12)
        tokens.withUnsafeBufferPointer { padded.append(tokens: $0, tokenCount: 5, label: 0) }
        let a = ProjectorPass<Float>(), b = ProjectorPass<Float>()
        projector.forward(alone, into: a)
        projector.forward(padded, into: b)
        let fa = a.features.values, fb = Array(b.features.values[8..<16])
        for (x, y) in zip(fa, fb) { #expect(abs(x - y) < 1e-5, "\(fa) vs \(fb)") }
        #expect(padded.layout.maskedKeys == [[], [4, 5]])
    }

    @Test func theLastOccurrenceOfAClassWinsTheEMA() {
        let centers = ClassCenters<Double>(classes: 2, width: 4)
        centers.initialise(seed: 1)
        let before = centers.values.values
        let rows: [Double] = [1, 1, 1, 1, 5, 5, 5, 5, 9, 9, 9, 9]
        let f = Matrix<Double>(rows: 3, columns: 4, rows)
        centers.update(features: f, labels: [1, 0, 1])
        let after = centers.values.values
        for j in 0..<4 {
            let class0: Double = 0.999 * before[j] + 0.001 * 5 // class 0: its one row
            let class1: Double = 0.999 * before[4 + j] + 0.001 * 9 // class 1: row 2, not row 0, from the old center
            #expect(abs(after[j] - class0) < 1e-15)
            #expect(abs(after[4 + j] - class1) < 1e-15)
        }
    }

    @Test func aCheckpointRoundTripsExactlyAndLoadsAsAStateDict() throws {
        let dir = try TemporaryDirectory(prefix: "tagood-ckpt")
        var config = Self.config
        config.dropout = 0.1
        let projector = Projector<Float>(config: config)
        projector.parameters.initialise(config: config, seed: 4)
        let centers = ClassCenters<Float>(classes: 3, width: 8)
        centers.initialise(seed: 2)
        let step = TrainingStep(
            projector: projector, centers: centers, optimiser: AdamW(),
            schedule: CosineSchedule(baseLR: 0.01, totalSteps: 7))
        step.run(Self.batch([2, 4], labels: [1, 2], seed: 3, as: Float.self), dropout: .init(seed: 1, step: 0))
        let checkpoint = TrainingCheckpoint(
            config: config, options: TrainingOptions(), epochsDone: 1, steps: 1,
            schedulePosition: step.schedule.position, lr: step.schedule.lr, rngState: 77, dataIdentity: "d")
        let path = dir.path + "/c.safetensors"
        try checkpoint.write(step, to: path)
        let (read, stateDict) = try TrainingCheckpoint.read(path: path)
        var expected = checkpoint
        expected.options.threads = 1
        #expect(read == expected)
        let copy = TrainingStep(
            projector: Projector<Float>(config: config), centers: ClassCenters(classes: 3, width: 8),
            optimiser: AdamW(),
            schedule: step.schedule)
        try TrainingCheckpoint.restore(stateDict, into: copy)
        #expect(copy.projector.parameters.storage.values == projector.parameters.storage.values)
        #expect(copy.firstMoment.storage.values == step.firstMoment.storage.values)
        #expect(copy.secondMoment.storage.values == step.secondMoment.storage.values)
        #expect(copy.centers.values.values == centers.values.values)
        // The names PyTorch's Classifier.state_dict() has, plus the optimiser's.
        #expect(stateDict.tensors["layers.layers.encoder_layer_1.mlp.3.weight"]?.shape == [8, 12])
        #expect(stateDict.tensors["centers"]?.shape == [3, 4, 2])
        #expect(stateDict.tensors["optimizer.exp_avg.w_layer.weight"] == nil)
        #expect(try ProjectorConfig.inferred(from: stateDict, heads: 2).classes == 3)
    }
}
