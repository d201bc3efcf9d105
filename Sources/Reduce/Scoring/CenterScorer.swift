import TagoodSupport
import Tensor

/// Cosine to the class centers: for each row, the largest cos(feature, center_c) and its class.
public enum CenterScorer {
    /// Rows per BLAS call (fixed, so results never depend on the thread count).
    static let block = 512

    /// `features` [n × d] (unit norm) against `centers` [classes × d] (unit norm).
    public static func maxCosine(
        features: [Float], n: Int, centers: [Float], classes: Int, d: Int,
        threads: Int
    ) throws -> (cosine: [Float], best: [Int32]) {
        var cosine = [Float](repeating: 0, count: n), best = [Int32](repeating: 0, count: n)
        let blocks = (n + block - 1) / block
        try cosine.withUnsafeMutableBufferPointer { cp in
            try best.withUnsafeMutableBufferPointer { bp in
                let cs = UnsafeShared(pointer: cp.baseAddress!), bs = UnsafeShared(pointer: bp.baseAddress!)
                try ParallelFor.run(count: blocks, threads: threads) { b in
                    let r0 = b * block, rows = min(block, n - r0)
                    var sims = [Float](repeating: 0, count: rows * classes)
                    features.withUnsafeBufferPointer { f in
                        centers.withUnsafeBufferPointer { c in
                            sims.withUnsafeMutableBufferPointer { s in
                                BLAS.sgemm(
                                    transposeB: true, m: rows, n: classes, k: d, a: f.baseAddress! + r0 * d, lda: d,
                                    b: c.baseAddress!,
                                    ldb: d, c: s.baseAddress!, ldc: classes)
                            }
                        }
                    }
                    for i in 0..<rows {
                        var top = -Float.infinity, arg = 0
                        for c in 0..<classes where sims[i * classes + c] > top {
                            top = sims[i * classes + c]
                            arg = c
                        }
                        cs.pointer[r0 + i] = top
                        bs.pointer[r0 + i] = Int32(arg)
                    }
                }
            }
        }
        return (cosine, best)
    }
}
