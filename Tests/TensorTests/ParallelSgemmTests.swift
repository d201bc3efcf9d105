import Testing

@testable import Tensor

/// `BLAS.parallelSgemm` (blocks of rows, or of columns when C is wider than tall, one OpenBLAS thread each)
/// gives what one `sgemm` gives, with and without Bᵀ, accumulating or not, on strided operands. (Whether
/// OpenBLAS's own count is restored afterwards is not asserted here: it is process-wide, and suites that
/// set it, such as the reducer's, run in parallel with this one.)
@Suite(.serialized) struct ParallelSgemmTests {
    @Test(arguments: [(300, 40, 100), (40, 300, 100), (257, 259, 64), (8, 5000, 70)])
    func matchesOneProduct(m: Int, n: Int, k: Int) {
        let previous = BLAS.threadCount
        BLAS.setThreadCount(2) // the pool splits even on a one-core runner (2 participants take turns)
        defer { BLAS.setThreadCount(previous) }
        var rng = TestRNG(UInt64(m * 7 + n * 3 + k))
        let pad = 3 // leading dimensions wider than the rows
        for transposeB in [false, true] {
            for beta: Float in [0, 1] {
                let a = rng.tensor([m, k + pad]).scalars
                let b = (transposeB ? rng.tensor([n, k + pad]) : rng.tensor([k, n + pad])).scalars
                let c0 = rng.tensor([m, n + pad]).scalars
                var want = c0, got = c0
                let ldb = transposeB ? k + pad : n + pad
                BLAS.sgemm(
                    transposeB: transposeB, m: m, n: n, k: k, alpha: 0.5, a: a, lda: k + pad, b: b, ldb: ldb,
                    beta: beta, c: &want, ldc: n + pad)
                BLAS.parallelSgemm(
                    transposeB: transposeB, m: m, n: n, k: k, alpha: 0.5, a: a, lda: k + pad, b: b, ldb: ldb,
                    beta: beta, c: &got, ldc: n + pad)
                let worst = zip(got, want).map { abs($0 - $1) }.max() ?? 0
                #expect(worst <= 1e-5 * Float(k), "transposeB \(transposeB), beta \(beta): max difference \(worst)")
            }
        }
    }
}
