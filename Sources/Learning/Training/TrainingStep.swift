/// One optimisation step of TagOOD's class-center learning:
///
/// 1. the forward pass (dropout on) gives f and the logits;
/// 2. `loss = clamp(0.1 · L_center(f, centers[y]) + CE(logits, y), 1e-5, 1e3)`;
/// 3. the backward pass, then AdamW at the schedule's learning rate, then the schedule's step;
/// 4. the EMA of the centers from this step's f and the centers from before it.
public final class TrainingStep<T: LearningScalar>: @unchecked Sendable {
    public let projector: Projector<T>
    public let centers: ClassCenters<T>
    public let optimiser: AdamW
    public let gradients: ParameterSet<T>
    public let firstMoment: ParameterSet<T>
    public let secondMoment: ParameterSet<T>
    public var schedule: CosineSchedule
    /// Optimiser steps taken so far (AdamW's `step`).
    public var steps = 0
    /// The weight of the center loss.
    public var centerWeight = 0.1
    var clamp = LossClamp()

    let pass = ProjectorPass<T>()
    let scratch = ProjectorScratch<T>()
    private let featureGradient = Matrix<T>(), logitGradient = Matrix<T>()

    /// What a step measured.
    public struct Outcome: Sendable {
        /// The clamped total loss, the cross-entropy and the center loss (means over the batch).
        public var loss: Double, crossEntropy: Double, centerLoss: Double
        /// Rows whose argmax is the label.
        public var correct: Int
        /// The learning rate the step used.
        public var lr: Double
    }

    public init(projector: Projector<T>, centers: ClassCenters<T>, optimiser: AdamW, schedule: CosineSchedule) {
        self.projector = projector
        self.centers = centers
        self.optimiser = optimiser
        self.schedule = schedule
        gradients = ParameterSet(sameLayoutAs: projector.parameters)
        firstMoment = ParameterSet(sameLayoutAs: projector.parameters)
        secondMoment = ParameterSet(sameLayoutAs: projector.parameters)
    }

    /// The loss and the gradients of `batch` (into ``gradients``) without changing anything.
    @_specialize(exported:true,where T == Float)
    public func lossAndGradients(_ batch: ProjectorBatch<T>, dropout: Projector<T>.DropoutDraw?) -> Outcome {
        let config = projector.config
        let b = batch.count, w = config.width
        projector.forward(batch, into: pass, dropout: dropout)
        featureGradient.resize(rows: b, columns: w)
        logitGradient.resize(rows: b, columns: config.classes)
        let (ce, correct) = SoftmaxCrossEntropy.loss(
            pass.logits.pointer, labels: batch.labels, classes: config.classes,
            gradient: logitGradient.pointer)
        let lc = CenterLoss.loss(
            pass.features.pointer, labels: batch.labels, centers: centers.values.pointer, patterns: config.patterns,
            width: w, gradient: featureGradient.pointer)
        let raw = T(centerWeight) * lc + ce
        let pass = clamp.gradient(raw)
        for e in 0..<(b * w) { featureGradient.pointer[e] *= pass * T(centerWeight) }
        for e in 0..<(b * config.classes) { logitGradient.pointer[e] *= pass }
        projector.backward(
            batch, pass: self.pass, featureGradient: featureGradient.pointer, logitGradient: logitGradient.pointer,
            into: gradients, scratch: scratch)
        return Outcome(
            loss: Double(clamp.value(raw)), crossEntropy: Double(ce), centerLoss: Double(lc), correct: correct,
            lr: schedule.lr)
    }

    /// A full step on `batch`: loss and gradients, AdamW, the schedule, the EMA of the centers.
    @discardableResult
    @_specialize(exported:true,where T == Float)
    public func run(_ batch: ProjectorBatch<T>, dropout: Projector<T>.DropoutDraw?) -> Outcome {
        let outcome = lossAndGradients(batch, dropout: dropout)
        steps += 1
        optimiser.update(
            projector.parameters, gradients: gradients, firstMoment: firstMoment, secondMoment: secondMoment,
            lr: schedule.lr, step: steps)
        schedule.step()
        centers.update(features: pass.features, labels: batch.labels)
        return outcome
    }
}
