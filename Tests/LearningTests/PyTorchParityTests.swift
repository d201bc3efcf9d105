import Foundation
import Model
import Testing

@testable import Learning

/// The forward pass and two full training steps (loss, gradients, AdamW, the schedule, the centers' EMA)
/// against the authors' Classifier in PyTorch (tools/projector_reference.py), within 1e-5.
@Suite struct PyTorchParityTests {
    let tolerance: Float = 1e-5

    /// The parameter's values, without the key third of `in_proj_bias`. Its gradient is exactly 0 in
    /// exact arithmetic (a key bias adds q·b to every logit of a row, which softmax cancels); both
    /// implementations compute rounding noise there (~1e-9), which AdamW's m/√v turns into steps of
    /// unrelated sign. ``keyBiasGradientIsNoise`` checks that noise is tiny in both.
    func comparable(_ values: [Float], _ name: String, width: Int) -> [Float] {
        guard name.hasSuffix("in_proj_bias") else { return values }
        return Array(values[0..<width]) + Array(values[(2 * width)...])
    }

    /// The training step of the fixture script: AdamW, cosine from 0.01 to 1e-5 over 4 steps.
    func fixtureStep(_ projector: Projector<Float>, _ centers: ClassCenters<Float>) -> TrainingStep<Float> {
        TrainingStep(
            projector: projector, centers: centers, optimiser: AdamW(),
            schedule: CosineSchedule(baseLR: 0.01, minimumLR: 1e-5, totalSteps: 4))
    }

    /// Every parameter and the centers equal the fixture's `<state>.<name>` and `<state>.centers` tensors.
    func expectState(
        _ projector: Projector<Float>, _ centers: ClassCenters<Float>, equalTo state: String, in io: StateDict,
        config: ProjectorConfig, sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        for e in projector.parameters.entries {
            #expect(
                Fixtures.relativeError(
                    comparable(projector.parameters.values(e.name), e.name, width: config.width),
                    comparable(try Fixtures.floats(io, state + "." + e.name), e.name, width: config.width)) < tolerance,
                "\(e.name): \(state)", sourceLocation: sourceLocation)
        }
        #expect(
            Fixtures.relativeError(centers.values.values, try Fixtures.floats(io, state + ".centers")) < tolerance,
            "centers: \(state)", sourceLocation: sourceLocation)
    }

    func load() throws -> (ProjectorConfig, Projector<Float>, ClassCenters<Float>, StateDict) {
        let initial = try Fixtures.stateDict("projector-initial.safetensors")
        let io = try Fixtures.stateDict("projector-step.safetensors")
        var config = try ProjectorConfig.inferred(from: initial, heads: 4)
        config.dropout = 0
        let projector = Projector<Float>(config: config)
        try projector.parameters.load(from: initial)
        let centers = ClassCenters<Float>(classes: config.classes, width: config.width)
        let c = try initial.tensors["centers"]!.floats(name: "centers")
        c.withUnsafeBufferPointer { centers.values.pointer.update(from: $0.baseAddress!, count: c.count) }
        return (config, projector, centers, io)
    }

    @Test func inferredShape() throws {
        let (config, _, _, _) = try load()
        #expect(
            config
                == ProjectorConfig(
                    inputWidth: 16, width: 32, heads: 4, layers: 2, mlpWidth: 64, maxTokens: 7, patterns: 4,
                    classes: 5, dropout: 0))
    }

    @Test func evalForward() throws {
        let (config, projector, _, io) = try load()
        let pass = ProjectorPass<Float>()
        projector.forward(try Fixtures.batch(io, config: config), into: pass)
        #expect(Fixtures.relativeError(pass.features.values, try Fixtures.floats(io, "eval.features")) < tolerance)
        #expect(Fixtures.relativeError(pass.logits.values, try Fixtures.floats(io, "eval.logits")) < tolerance)
    }

    @Test func trainingSteps() throws {
        let (config, projector, centers, io) = try load()
        let step = fixtureStep(projector, centers)
        let batch = try Fixtures.batch(io, config: config)
        let losses = try Fixtures.floats(io, "loss")
        let outcome = step.run(batch, dropout: .init(seed: 1, step: 0))
        #expect(abs(Float(outcome.loss) - losses[0]) < tolerance * max(1, losses[0]))
        #expect(abs(Float(outcome.crossEntropy) - losses[1]) < tolerance * max(1, losses[1]))
        #expect(abs(Float(outcome.centerLoss) - losses[2]) < tolerance * max(1, losses[2]))
        #expect(
            Fixtures.relativeError(step.pass.features.values, try Fixtures.floats(io, "train.features")) < tolerance)
        for e in projector.parameters.entries {
            if e.trainable {
                #expect(
                    Fixtures.relativeError(step.gradients.values(e.name), try Fixtures.floats(io, "grad." + e.name))
                        < tolerance,
                    "gradient of \(e.name)")
                #expect(
                    Fixtures.relativeError(
                        step.firstMoment.values(e.name), try Fixtures.floats(io, "exp_avg." + e.name)) < tolerance,
                    "exp_avg of \(e.name)")
                #expect(
                    Fixtures.relativeError(
                        step.secondMoment.values(e.name), try Fixtures.floats(io, "exp_avg_sq." + e.name)) < tolerance,
                    "exp_avg_sq of \(e.name)")
            } else {
                #expect(io.tensors["grad." + e.name] == nil, "PyTorch gives \(e.name) no gradient")
            }
        }
        // After AdamW; the EMA, with class 2 three times in the batch: the last occurrence wins.
        try expectState(projector, centers, equalTo: "after", in: io, config: config)

        // A second step, the batch reversed: the bias corrections and the scheduled learning rate.
        let second = step.run(try Fixtures.batch(io, config: config, reversed: true), dropout: .init(seed: 1, step: 1))
        #expect(abs(Float(second.loss) - losses[3]) < tolerance * max(1, losses[3]))
        try expectState(projector, centers, equalTo: "after2", in: io, config: config)
    }

    @Test func keyBiasGradientIsNoise() throws {
        let (config, projector, centers, io) = try load()
        let step = fixtureStep(projector, centers)
        _ = step.lossAndGradients(try Fixtures.batch(io, config: config), dropout: nil)
        for l in 0..<config.layers {
            let name = ProjectorConfig.blockPrefix(l) + "self_attention.in_proj_bias"
            let ours = step.gradients.values(name)[config.width..<(2 * config.width)]
            let theirs = try Fixtures.floats(io, "grad." + name)[config.width..<(2 * config.width)]
            #expect(ours.allSatisfy { abs($0) < 1e-6 } && theirs.allSatisfy { abs($0) < 1e-6 })
        }
    }

    @Test func cosineScheduleMatchesPyTorch() throws {
        struct Reference: Decodable { var base_lr: Double; var eta_min: Double; var t_max: Int; var lr: [String] }
        let data = try Data(contentsOf: URL(fileURLWithPath: Fixtures.folder + "/cosine-schedule.json"))
        let reference = try JSONDecoder().decode(Reference.self, from: data)
        var schedule = CosineSchedule(
            baseLR: reference.base_lr, minimumLR: reference.eta_min, totalSteps: reference.t_max)
        var got = [schedule.lr]
        for _ in 1..<reference.lr.count { schedule.step(); got.append(schedule.lr) }
        for (i, (a, b)) in zip(got, reference.lr.map { Double($0)! }).enumerated() {
            #expect(abs(a - b) <= 1e-15 * max(b, 1e-5), "lr after \(i) steps: \(a) vs PyTorch \(b)")
        }
    }
}
