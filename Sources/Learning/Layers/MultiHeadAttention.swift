import TagoodSupport
import Tensor

/// Masked multi-head self-attention over a ragged batch, as `nn.MultiheadAttention` computes it after its
/// input projection: per sample and head, P = softmax(Q Kᵀ / √d_h + mask), O = P V, the heads side by side.
///
/// `qkv` is `[rows × 3W]`, the in-projection's output (queries, keys, values, each W wide, head h at columns
/// h·d_h of each). The output (and its gradient) has one row per query row. Samples run in parallel on
/// the shared worker pool; each sample's arithmetic is the same whichever thread runs it.
enum MultiHeadAttention {
    /// Where sample i's probabilities start in the probability buffer, and the buffer's size.
    static func probabilityOffsets(_ batch: RaggedBatch, queries: QueryRows, heads: Int) -> (offsets: [Int], total: Int)
    {
        var offsets: [Int] = [], total = 0
        offsets.reserveCapacity(batch.count)
        for i in 0..<batch.count {
            offsets.append(total)
            total += heads * queries.rows(batch, i).count * batch.lengths[i]
        }
        return (offsets, total)
    }

    /// Computes the attention output `[queryRows × W]`, keeping the probabilities in `probabilities`
    /// (laid out by ``probabilityOffsets(_:queries:heads:)``).
    @_specialize(exported:true,where T == Float)
    static func forward<T: LearningScalar>(
        qkv: UnsafePointer<T>, batch: RaggedBatch, queries: QueryRows, width: Int, heads: Int,
        probabilities: UnsafeMutablePointer<T>, offsets: [Int], into output: UnsafeMutablePointer<T>
    ) {
        let dh = width / heads, ld = 3 * width
        let scale = 1 / T.sqrt(T(dh))
        WorkerPool.shared.parallelFor(batch.count) { i, _ in
            let (source, out, qn) = queries.rows(batch, i)
            let start = batch.starts[i], length = batch.lengths[i]
            for h in 0..<heads {
                let q = qkv + source * ld + h * dh
                let k = qkv + start * ld + width + h * dh
                let v = qkv + start * ld + 2 * width + h * dh
                let p = probabilities + offsets[i] + h * qn * length
                T.gemm(false, true, m: qn, n: length, k: dh, alpha: scale, q, ld, k, ld, p, length)
                for key in batch.maskedKeys[i] {
                    for r in 0..<qn { p[r * length + key] -= 1000 }
                }
                T.softmaxRows(p, rows: qn, width: length)
                T.gemm(false, false, m: qn, n: dh, k: length, p, length, v, ld, output + out * width + h * dh, width)
            }
        }
    }

    /// From the output gradient `[queryRows × W]`, the gradient of `qkv` (`[rows × 3W]`, overwritten; the
    /// query columns of rows that are not query rows are zero). `scratch` holds `longest²` elements per
    /// pool thread.
    @_specialize(exported:true,where T == Float)
    static func backward<T: LearningScalar>(
        qkv: UnsafePointer<T>, outputGradient dOut: UnsafePointer<T>, batch: RaggedBatch,
        queries: QueryRows, width: Int, heads: Int, probabilities: UnsafePointer<T>, offsets: [Int],
        qkvGradient dqkv: UnsafeMutablePointer<T>, scratch: Matrix<T>
    ) {
        let dh = width / heads, ld = 3 * width
        let scale = 1 / T.sqrt(T(dh))
        let longest = batch.longest
        scratch.resize(rows: WorkerPool.shared.threads, columns: max(1, longest * longest))
        if case .first = queries { dqkv.update(repeating: 0, count: batch.totalRows * ld) }
        WorkerPool.shared.parallelFor(batch.count) { i, worker in
            let (source, out, qn) = queries.rows(batch, i)
            let start = batch.starts[i], length = batch.lengths[i]
            let ds = scratch.row(worker)
            for h in 0..<heads {
                let q = qkv + source * ld + h * dh
                let k = qkv + start * ld + width + h * dh
                let v = qkv + start * ld + 2 * width + h * dh
                let p = probabilities + offsets[i] + h * qn * length
                let dO = dOut + out * width + h * dh
                // dV = Pᵀ dO;  dP = dO Vᵀ
                T.gemm(
                    true, false, m: length, n: dh, k: qn, p, length, dO, width, dqkv + start * ld + 2 * width + h * dh,
                    ld)
                T.gemm(false, true, m: qn, n: length, k: dh, dO, width, v, ld, ds, length)
                // dS = P ⊙ (dP − Σ_j dP ⊙ P), row by row
                for r in 0..<qn {
                    let pr = p + r * length, dr = ds + r * length
                    var dot: T = 0
                    for j in 0..<length { dot += dr[j] * pr[j] }
                    for j in 0..<length { dr[j] = pr[j] * (dr[j] - dot) }
                }
                // dQ = scale · dS K;  dK = scale · dSᵀ Q
                T.gemm(
                    false, false, m: qn, n: dh, k: length, alpha: scale, ds, length, k, ld, dqkv + source * ld + h * dh,
                    ld)
                T.gemm(
                    true, false, m: length, n: dh, k: qn, alpha: scale, ds, length, q, ld,
                    dqkv + start * ld + width + h * dh, ld)
            }
        }
    }
}
