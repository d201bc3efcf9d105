/// Per-class sums and counts and the Gram matrices, merged over the center source's partials in plan
/// order (float64, so the merge order is the only thing that decides the bits, and it is fixed).
public struct ClassStatistics: Sendable {
    public let classCount: Int
    public let d: Int
    public var objectCounts: [Int64]
    public var pooledCounts: [Int64]
    /// [classCount × d].
    public var objectSums: [Double]
    public var pooledSums: [Double]
    /// Full d×d, upper triangle only.
    public var objectGram: [Double]
    public var pooledGram: [Double]

    public init(classCount: Int, d: Int) {
        self.classCount = classCount
        self.d = d
        objectCounts = [Int64](repeating: 0, count: classCount)
        pooledCounts = objectCounts
        objectSums = [Double](repeating: 0, count: classCount * d)
        pooledSums = objectSums
        objectGram = [Double](repeating: 0, count: d * (d + 1) / 2)
        pooledGram = objectGram
    }

    /// Adds one partial's sums. Throws when a label is outside `0..<classCount`.
    public mutating func add(_ s: ShardPartial.ClassSums, source: String) throws(ReduceError) {
        for (slot, label) in s.classes.enumerated() {
            let c = Int(label)
            guard c >= 0, c < classCount else {
                throw ReduceError(
                    .shard,
                    "\(source) has images of class \(label), but the center source has \(classCount) classes; "
                        + "check the datasets' class folders")
            }
            objectCounts[c] += s.objectCounts[slot]
            pooledCounts[c] += s.pooledCounts[slot]
            for j in 0..<d {
                objectSums[c * d + j] += s.objectSums[slot * d + j]
                pooledSums[c * d + j] += s.pooledSums[slot * d + j]
            }
        }
        for i in objectGram.indices {
            objectGram[i] += s.objectGram[i]
            pooledGram[i] += s.pooledGram[i]
        }
    }

    /// The class means of either feature, [classCount × d] (a class without images is all zeros).
    public func means(object: Bool) -> [Double] {
        let sums = object ? objectSums : pooledSums, counts = object ? objectCounts : pooledCounts
        var out = sums
        for c in 0..<classCount where counts[c] > 0 {
            for j in 0..<d { out[c * d + j] /= Double(counts[c]) }
        }
        return out
    }

    /// The shared (tied) covariance around the class means, divided by N (sklearn's
    /// `EmpiricalCovariance` on class-centered features): (Σ x xᵀ − Σ_c n_c μ_c μ_cᵀ) / N. Full d×d.
    public func sharedCovariance(object: Bool) -> [Double] {
        let gram = Vectors.unpackSymmetric(object ? objectGram : pooledGram, d: d)
        let counts = object ? objectCounts : pooledCounts
        let means = self.means(object: object)
        let n = Double(counts.reduce(0, +))
        var cov = gram
        for c in 0..<classCount where counts[c] > 0 {
            let w = Double(counts[c])
            for i in 0..<d {
                let mi = means[c * d + i] * w
                if mi == 0 { continue }
                for j in 0..<d { cov[i * d + j] -= mi * means[c * d + j] }
            }
        }
        for i in 0..<(d * d) { cov[i] /= n }
        // Symmetrise exactly (the two triangles saw the same sums in different order).
        for i in 0..<d { for j in (i + 1)..<d { cov[j * d + i] = cov[i * d + j] } }
        return cov
    }
}
