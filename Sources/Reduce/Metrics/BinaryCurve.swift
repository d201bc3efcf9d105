/// The cumulative true and false positives at each distinct score threshold, highest score first:
/// scikit-learn's `_binary_clf_curve`, which every ranking metric here is built on.
///
/// Scores equal to each other form one threshold, which is what makes ties count half in the AUROC and
/// what separates the two FPR95 conventions.
public struct BinaryCurve: Sendable, Equatable {
    /// Positives with score ≥ each threshold.
    public var truePositives: [Double]
    /// Negatives with score ≥ each threshold.
    public var falsePositives: [Double]
    /// The distinct scores, descending.
    public var thresholds: [Double]

    /// Builds the curve. `positives` and `negatives` are the scores of each class.
    public init(positives: [Double], negatives: [Double]) {
        var all: [(score: Double, positive: Bool)] = []
        all.reserveCapacity(positives.count + negatives.count)
        for s in positives { all.append((s, true)) }
        for s in negatives { all.append((s, false)) }
        all.sort { $0.score > $1.score }
        var tps: [Double] = [], fps: [Double] = [], thresholds: [Double] = []
        var tp = 0.0, fp = 0.0
        for (i, item) in all.enumerated() {
            if item.positive { tp += 1 } else { fp += 1 }
            if i == all.count - 1 || all[i + 1].score != item.score {
                tps.append(tp)
                fps.append(fp)
                thresholds.append(item.score)
            }
        }
        self.truePositives = tps
        self.falsePositives = fps
        self.thresholds = thresholds
    }
}

/// A ROC curve as scikit-learn's `roc_curve` returns it (with `drop_intermediate=True`): collinear
/// intermediate vertices removed, then a (0, 0) vertex prepended.
public struct ROCCurve: Sendable, Equatable {
    public var falsePositiveRate: [Double]
    public var truePositiveRate: [Double]

    public init(positives: [Double], negatives: [Double]) {
        let curve = BinaryCurve(positives: positives, negatives: negatives)
        var tps = curve.truePositives, fps = curve.falsePositives
        if tps.count > 2 {
            // Keep the ends and every vertex where either second difference is non-zero.
            var keep: [Int] = [0]
            for i in 1..<(tps.count - 1) {
                let d2fp = fps[i + 1] - 2 * fps[i] + fps[i - 1]
                let d2tp = tps[i + 1] - 2 * tps[i] + tps[i - 1]
                if d2fp != 0 || d2tp != 0 { keep.append(i) }
            }
            keep.append(tps.count - 1)
            tps = keep.map { tps[$0] }
            fps = keep.map { fps[$0] }
        }
        tps.insert(0, at: 0)
        fps.insert(0, at: 0)
        let p = tps.last!, n = fps.last!
        truePositiveRate = tps.map { p > 0 ? $0 / p : .nan }
        falsePositiveRate = fps.map { n > 0 ? $0 / n : .nan }
    }

    /// The area under the curve by the trapezoidal rule (`sklearn.metrics.auc`).
    public var area: Double {
        var sum = 0.0
        for i in 1..<falsePositiveRate.count {
            sum +=
                (falsePositiveRate[i] - falsePositiveRate[i - 1]) * (truePositiveRate[i] + truePositiveRate[i - 1]) / 2
        }
        return sum
    }
}

/// Average precision, scikit-learn's `average_precision_score`: Σₙ (Rₙ − Rₙ₋₁) Pₙ over the distinct
/// thresholds, highest first (a step function, no interpolation).
public func averagePrecision(positives: [Double], negatives: [Double]) -> Double {
    let curve = BinaryCurve(positives: positives, negatives: negatives)
    guard let total = curve.truePositives.last, total > 0 else { return 0 }
    var sum = 0.0
    var previousRecall = 0.0
    for i in curve.truePositives.indices {
        let tp = curve.truePositives[i], fp = curve.falsePositives[i]
        let precision = tp + fp > 0 ? tp / (tp + fp) : 0
        let recall = tp / total
        sum += (recall - previousRecall) * precision
        previousRecall = recall
    }
    return max(0, sum)
}
