import COpenBLAS
import TagoodSupport

#if canImport(Glibc)
import Glibc
#endif

/// The OpenBLAS entry points tagood uses.
///
/// Every call blocks the calling thread until the product is done (OpenBLAS may fan the work out to
/// its own pthreads). Call these from threads you own, never from a Swift concurrency task: the
/// cooperative pool is as wide as the machine has cores and a blocked task starves it.
public enum BLAS {
    /// C[m×n] = alpha · A · op(B) + beta · C like ``sgemm(transposeA:transposeB:m:n:k:alpha:a:lda:b:ldb:beta:c:ldc:)``,
    /// split into one block of rows of C (or of columns, when C is wider than tall) per thread of
    /// `WorkerPool.shared`, each block a product on one OpenBLAS thread. All of a forward pass's threads
    /// are then the pool's, which sleep when idle: OpenBLAS's own threads spin (`sched_yield`) between
    /// products, and on a small machine that spinning takes the cores the pool's element-wise kernels need.
    public static func parallelSgemm(
        transposeB: Bool = false, m: Int, n: Int, k: Int, alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        let threads = WorkerPool.shared.activeThreads
        guard threads > 1, m * n * k >= 1 << 18 else {
            sgemm(
                transposeB: transposeB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb, beta: beta,
                c: c, ldc: ldc)
            return
        }
        let byRows = m >= n
        let extent = byRows ? m : n
        // Blocks a multiple of 16 wide (the kernels' register tile), as even as that allows.
        let block = ((extent + threads - 1) / threads + 15) / 16 * 16
        let parts = (extent + block - 1) / block
        withThreadCount(1) {
            WorkerPool.shared.parallelFor(parts, threads: threads) { part, _ in
                let lo = part * block, count = min(block, extent - lo)
                if byRows {
                    sgemm(
                        transposeB: transposeB, m: count, n: n, k: k, alpha: alpha, a: a + lo * lda, lda: lda, b: b,
                        ldb: ldb,
                        beta: beta, c: c + lo * ldc, ldc: ldc)
                } else {
                    sgemm(
                        transposeB: transposeB, m: m, n: count, k: k, alpha: alpha, a: a, lda: lda,
                        b: transposeB ? b + lo * ldb : b + lo, ldb: ldb, beta: beta, c: c + lo, ldc: ldc)
                }
            }
        }
    }

    /// The OpenBLAS build description and the kernel family it picked for this CPU.
    public static var configuration: String {
        let config = openblas_get_config().map { String(cString: $0) } ?? "?"
        let core = openblas_get_corename().map { String(cString: $0) } ?? "?"
        return "\(config) (\(core))"
    }

    /// The kernel family OpenBLAS picked for this CPU (`Haswell`, `SkylakeX`, `Prescott`, …).
    public static var coreName: String {
        openblas_get_corename().map { String(cString: $0) } ?? "?"
    }

    /// The best OpenBLAS kernel family this CPU supports, from /proc/cpuinfo's flags: `Cooperlake`
    /// (AVX-512 with bf16), `SkylakeX` (AVX-512), `Haswell` (AVX2 + FMA), or nil.
    public static func preferredCoreType() -> String? {
        guard let bytes = try? FileBytes.read("/proc/cpuinfo") else { return nil }
        let text = String(decoding: bytes, as: UTF8.self)
        guard let flagsLine = text.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else { return nil }
        let flags = Set(flagsLine.split(separator: " ").map(String.init))
        if flags.isSuperset(of: ["avx512f", "avx512bw", "avx512vl", "avx512dq"]) {
            return flags.contains("avx512_bf16") ? "Cooperlake" : "SkylakeX"
        }
        if flags.isSuperset(of: ["avx2", "fma"]) { return "Haswell" }
        return nil
    }

    /// Whether OpenBLAS runs its generic pre-AVX kernels although the CPU has AVX2 or AVX-512: what
    /// OpenBLAS 0.3.21 (Debian 12) does on processors newer than it knows, such as Xeon family 6
    /// model 207, where it is 4–6× slower than its SkylakeX kernels.
    public static var usesGenericKernelsOnCapableCPU: Bool {
        ["Prescott", "Core2", "Penryn", "Dunnington", "Nehalem", "Atom", "Unknown"].contains(coreName)
            && preferredCoreType() != nil
    }

    /// When OpenBLAS picked generic kernels on a capable CPU and `OPENBLAS_CORETYPE` is not set,
    /// re-executes the current program with `OPENBLAS_CORETYPE` set to ``preferredCoreType()``
    /// (OpenBLAS chooses its kernels when it is loaded, so only a new process can change them).
    /// Call it first thing in `main`, before any thread starts; it returns when nothing needs doing
    /// or the re-exec failed. An explicit `OPENBLAS_CORETYPE` is always left as it is.
    ///
    /// The new image is the executable's real path (not `/proc/self/exe`, which would rename the process
    /// `exe` and hide it from `pgrep tagood`, `ps -C tagood` and `pkill tagood`), with the same argv.
    /// `TAGOOD_FAILPOINTS=force-blas-reexec=1` (tests only) re-executes with the kernels already chosen.
    public static func reexecWithPreferredKernelsIfNeeded() {
        guard getenv("TAGOOD_NO_BLAS_REEXEC") == nil, let executable = executablePath() else { return }
        if Failpoints.text("force-blas-reexec") != nil {
            setenv("TAGOOD_NO_BLAS_REEXEC", "1", 1)
            execv(executable, CommandLine.unsafeArgv) // the kernels stay as they are
            return
        }
        guard getenv("OPENBLAS_CORETYPE") == nil, usesGenericKernelsOnCapableCPU, let core = preferredCoreType() else {
            return
        }
        setenv("OPENBLAS_CORETYPE", core, 1)
        setenv("TAGOOD_NO_BLAS_REEXEC", "1", 1) // never loop
        execv(executable, CommandLine.unsafeArgv)
    }

    /// The running executable's real path (`readlink /proc/self/exe`).
    static func executablePath() -> String? {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard n > 0 else { return nil }
        return String(decoding: buffer[..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// C[m×n] = alpha · op(A) · op(B) + beta · C, all row-major with leading dimensions (row strides).
    ///
    /// `op(A)` is m×k: A is m×k (`lda` ≥ k), or k×m transposed (`lda` ≥ m). `op(B)` is k×n likewise.
    @inline(__always)
    public static func sgemm(
        transposeA: Bool = false, transposeB: Bool = false,
        m: Int, n: Int, k: Int,
        alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0,
        c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        if m == 0 || n == 0 { return }
        cblas_sgemm(
            CblasRowMajor,
            transposeA ? CblasTrans : CblasNoTrans,
            transposeB ? CblasTrans : CblasNoTrans,
            Int32(m), Int32(n), Int32(k), alpha,
            a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }
}
