import COpenBLAS

/// The float64 products of the reducer (class statistics, Mahalanobis), row-major. The reducer runs
/// them with OpenBLAS limited to one thread of its own (``BLAS/setThreadCount(_:)`` 1) on threads it
/// owns, so a block's result never depends on how many threads run.
extension BLAS {
    /// C[m×n] = A[m×k] · B[n×k]ᵀ (float64).
    public static func dgemmABt(
        m: Int, n: Int, k: Int, a: UnsafePointer<Double>, b: UnsafePointer<Double>,
        c: UnsafeMutablePointer<Double>
    ) {
        guard m > 0, n > 0 else { return }
        cblas_dgemm(
            CblasRowMajor, CblasNoTrans, CblasTrans, Int32(m), Int32(n), Int32(k), 1, a, Int32(k), b, Int32(k),
            0, c, Int32(n))
    }

    /// The upper triangle of C[d×d] += Xᵀ X for X[m×d] (float64).
    public static func dsyrkUpperAtA(d: Int, m: Int, x: UnsafePointer<Double>, c: UnsafeMutablePointer<Double>) {
        guard m > 0 else { return }
        cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, Int32(d), Int32(m), 1, x, Int32(d), 1, c, Int32(d))
    }

    /// Solves Z · Lᵀ = X in place (X[m×d] becomes Z = X L⁻ᵀ), L lower triangular d×d (float64).
    public static func solveRightLowerTransposed(
        m: Int, d: Int, l: UnsafePointer<Double>, x: UnsafeMutablePointer<Double>
    ) {
        guard m > 0 else { return }
        cblas_dtrsm(
            CblasRowMajor, CblasRight, CblasLower, CblasTrans, CblasNonUnit, Int32(m), Int32(d), 1, l, Int32(d),
            x, Int32(d))
    }
}
