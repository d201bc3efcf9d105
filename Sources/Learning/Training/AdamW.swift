import Foundation

/// AdamW as `torch.optim.AdamW` computes it (decoupled weight decay, bias-corrected moments), over the
/// flat parameter buffer; entries that are not trainable (no gradient in PyTorch) are left alone.
public struct AdamW: Sendable, Equatable, Codable {
    public var beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weightDecay = 5e-4

    public init(beta1: Double = 0.9, beta2: Double = 0.999, eps: Double = 1e-8, weightDecay: Double = 5e-4) {
        self.beta1 = beta1
        self.beta2 = beta2
        self.eps = eps
        self.weightDecay = weightDecay
    }

    /// One update at learning rate `lr`, the `step`-th (from 1):
    /// p ← p·(1 − lr·λ); m ← m + (1 − β₁)(g − m); v ← β₂v + (1 − β₂)g²;
    /// p ← p − lr/(1 − β₁ᵗ) · m / (√v / √(1 − β₂ᵗ) + ε).
    @_specialize(exported:true,where T == Float)
    public func update<T: LearningScalar>(
        _ parameters: ParameterSet<T>, gradients: ParameterSet<T>, firstMoment: ParameterSet<T>,
        secondMoment: ParameterSet<T>, lr: Double, step: Int
    ) {
        let decay = T(1 - lr * weightDecay)
        let oneMinusB1 = T(1 - beta1), b2 = T(beta2), oneMinusB2 = T(1 - beta2)
        let stepSize = T(lr / (1 - Foundation.pow(beta1, Double(step))))
        let correction2 = T((1 - Foundation.pow(beta2, Double(step))).squareRoot())
        let epsilon = T(eps)
        for entry in parameters.entries where entry.trainable {
            let p = parameters.storage.pointer + entry.offset, g = gradients.storage.pointer + entry.offset
            let m = firstMoment.storage.pointer + entry.offset, v = secondMoment.storage.pointer + entry.offset
            for j in 0..<entry.count {
                p[j] *= decay
                m[j] += oneMinusB1 * (g[j] - m[j])
                v[j] = v[j] * b2 + oneMinusB2 * g[j] * g[j]
                let denominator = T.sqrt(v[j]) / correction2 + epsilon
                p[j] -= stepSize * (m[j] / denominator)
            }
        }
    }
}
