import Foundation

/// The training objective: `clamp(0.1 · L_center + CE(logits, y), 1e-5, 1e3)`.
enum SoftmaxCrossEntropy {
    /// The mean over the batch of −log softmax(logits)[y], and its gradient with respect to the logits
    /// (`(softmax − onehot) / B`, written to `gradient`). Also returns how many rows' argmax is the label.
    @_specialize(exported:true,where T == Float)
    static func loss<T: LearningScalar>(
        _ logits: UnsafePointer<T>, labels: [Int], classes: Int,
        gradient: UnsafeMutablePointer<T>
    ) -> (loss: T, correct: Int) {
        let batch = labels.count
        var total: T = 0, correct = 0
        for i in 0..<batch {
            let z = logits + i * classes, g = gradient + i * classes
            var top = z[0], arg = 0
            for c in 1..<classes where z[c] > top { top = z[c]; arg = c }
            if arg == labels[i] { correct += 1 }
            var sum: T = 0
            for c in 0..<classes { g[c] = T.exp(z[c] - top); sum += g[c] }
            total += T(Foundation.log(Double(sum))) + top - z[labels[i]]
            let scale = 1 / (sum * T(batch))
            for c in 0..<classes { g[c] *= scale }
            g[labels[i]] -= 1 / T(batch)
        }
        return (total / T(batch), correct)
    }
}

/// The center loss: the squared distance between each feature, cut into `patterns` parts, and its class's
/// centers: mean over the part's dimensions, sum over the parts, mean over the batch (the authors' MSE).
enum CenterLoss {
    /// The loss of `features [B × patterns·dim]` against `centers [C × patterns·dim]`, and its gradient
    /// with respect to the features (written to `gradient`). The centers get no gradient.
    @_specialize(exported:true,where T == Float)
    static func loss<T: LearningScalar>(
        _ features: UnsafePointer<T>, labels: [Int], centers: UnsafePointer<T>, patterns: Int,
        width: Int, gradient: UnsafeMutablePointer<T>
    ) -> T {
        let batch = labels.count, dim = width / patterns
        var total: T = 0
        let scale = 2 / (T(dim) * T(batch))
        for i in 0..<batch {
            let f = features + i * width, c = centers + labels[i] * width, g = gradient + i * width
            var rowTotal: T = 0
            for j in 0..<width {
                let d = f[j] - c[j]
                rowTotal += d * d
                g[j] = scale * d
            }
            total += rowTotal / T(dim)
        }
        return total / T(batch)
    }
}

/// `clamp(x, 1e-5, 1e3)` on the total loss, whose gradient passes where `lower ≤ x ≤ upper` and is 0
/// elsewhere (as `torch.clamp`'s).
struct LossClamp: Sendable {
    var lower = 1e-5, upper = 1e3

    @_specialize(exported:true,where T == Float)

    func value<T: LearningScalar>(_ x: T) -> T { min(max(x, T(lower)), T(upper)) }
    @_specialize(exported:true,where T == Float)
    func gradient<T: LearningScalar>(_ x: T) -> T { x >= T(lower) && x <= T(upper) ? 1 : 0 }
}
