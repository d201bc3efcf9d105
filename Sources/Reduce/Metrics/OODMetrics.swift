import TagoodSupport

/// The OOD metrics of one detector on one OOD set against the ID set. Higher scores mean "more
/// in-distribution". All values are fractions in [0, 1].
public struct OODMetrics: Sendable, Equatable, Codable {
    /// Area under the ROC curve, ID positive; ties count half (scikit-learn's `roc_auc_score`).
    public var auroc: Double
    /// Average precision with ID positive (`average_precision_score`): the "AUPR" TagOOD printed.
    public var auprIn: Double
    /// Average precision with OOD positive, on negated scores.
    public var auprOut: Double
    /// FPR at 95% TPR, TagOOD/MOS convention: ID positive, linearly interpolated on the ROC between the
    /// last vertex below TPR 0.95 and the first at or above it.
    public var fpr95TagOOD: Double
    /// FPR at 95% TPR, OpenOOD v1.5 convention: OOD positive (scores negated), no interpolation:
    /// `fpr[argmax(tpr >= 0.95)]`. It differs from the TagOOD one when scores tie.
    public var fpr95OpenOOD: Double

    enum CodingKeys: String, CodingKey {
        case auroc, auprIn = "aupr_in", auprOut = "aupr_out"
        case fpr95TagOOD = "fpr95_tagood", fpr95OpenOOD = "fpr95_openood"
    }

    /// Computes every metric. Throws when a set is empty or a score is not finite.
    public init(id: [Double], ood: [Double]) throws(MetricsError) {
        guard !id.isEmpty else { throw MetricsError(.input, "there are no ID scores: the ID set is empty") }
        guard !ood.isEmpty else { throw MetricsError(.input, "there are no OOD scores: the OOD set is empty") }
        if let bad = id.firstIndex(where: { !$0.isFinite }) {
            throw MetricsError(.input, "ID score \(bad + 1) is \(id[bad]); scores must be finite")
        }
        if let bad = ood.firstIndex(where: { !$0.isFinite }) {
            throw MetricsError(.input, "OOD score \(bad + 1) is \(ood[bad]); scores must be finite")
        }

        let roc = ROCCurve(positives: id, negatives: ood)
        auroc = roc.area
        auprIn = averagePrecision(positives: id, negatives: ood)
        let negatedID = id.map { -$0 }, negatedOOD = ood.map { -$0 }
        auprOut = averagePrecision(positives: negatedOOD, negatives: negatedID)

        // TagOOD/MOS: interpolate at TPR 0.95 on the ID-positive ROC.
        let tpr = roc.truePositiveRate, fpr = roc.falsePositiveRate
        let i = tpr.firstIndex { $0 >= 0.95 }! // the last vertex has TPR 1
        if i == 0 {
            fpr95TagOOD = fpr[0]
        } else {
            fpr95TagOOD = ((0.95 - tpr[i - 1]) * fpr[i] + (tpr[i] - 0.95) * fpr[i - 1]) / (tpr[i] - tpr[i - 1])
        }
        // OpenOOD v1.5: OOD positive, first vertex at or above 0.95.
        let openROC = ROCCurve(positives: negatedOOD, negatives: negatedID)
        let j = openROC.truePositiveRate.firstIndex { $0 >= 0.95 }!
        fpr95OpenOOD = openROC.falsePositiveRate[j]
    }
}

/// Scores that cannot be evaluated (`metrics.input`).
public typealias MetricsError = CodedError<MetricsErrorKind>

/// The kind of ``MetricsError`` (code `metrics.input`).
public enum MetricsErrorKind: String, ErrorKind {
    public static let domain = "metrics"
    case input
}
