import TagoodSupport
import Tensor

/// Exact k-nearest-neighbour search of unit vectors by inner product, streamed over the bank: the bank
/// arrives in chunks, each chunk is multiplied against blocks of queries with `cblas_sgemm` (a
/// `queryBlock × bankBlock` tile at a time, never a queries × bank matrix), and every query keeps a
/// min-heap of its k largest similarities.
///
/// The k-th largest similarity is a property of the set of similarities, and each similarity is computed
/// by a GEMM tile whose shape and position depend only on fixed block sizes, so the result is the same
/// for any thread count and chunking of work.
public enum KNNScorer {
    /// Queries per tile.
    public static let queryBlock = 256
    /// Bank rows per tile.
    public static let bankBlock = 4096
    /// Bank rows per chunk (a multiple of ``bankBlock``): the most bank rows in memory at once.
    public static let chunkRows = 65536

    /// The k-th largest inner product of each query `[n × d]` with the bank. `nextChunk` returns the bank
    /// rows chunk by chunk (row-major, `d` wide) and nil at the end. `k` must be at most the bank size.
    public static func kthSimilarity(
        queries: [Float], n: Int, d: Int, k: Int, threads: Int,
        nextChunk: () throws -> [Float]?
    ) throws -> [Float] {
        precondition(k >= 1)
        var heaps = [Float](repeating: -.infinity, count: n * k)
        let queryBlocks = (n + queryBlock - 1) / queryBlock
        try heaps.withUnsafeMutableBufferPointer { hp in
            let shared = UnsafeShared(pointer: hp.baseAddress!)
            while let chunk = try nextChunk() {
                let rows = chunk.count / d
                if rows == 0 { continue }
                try ParallelFor.run(count: queryBlocks, threads: threads) { b in
                    searchTile(
                        queries: queries, q0: b * queryBlock, qn: min(queryBlock, n - b * queryBlock), d: d, k: k,
                        bank: chunk, bankRows: rows, heaps: shared.pointer)
                }
            }
        }
        return (0..<n).map { heaps[$0 * k] }
    }

    /// One query block against a whole chunk, `bankBlock` rows at a time.
    static func searchTile(
        queries: [Float], q0: Int, qn: Int, d: Int, k: Int, bank: [Float], bankRows: Int,
        heaps: UnsafeMutablePointer<Float>
    ) {
        let sims = UnsafeMutablePointer<Float>.allocate(capacity: qn * bankBlock)
        defer { sims.deallocate() }
        queries.withUnsafeBufferPointer { q in
            bank.withUnsafeBufferPointer { bk in
                var b0 = 0
                while b0 < bankRows {
                    let bn = min(bankBlock, bankRows - b0)
                    BLAS.sgemm(
                        transposeB: true, m: qn, n: bn, k: d, a: q.baseAddress! + q0 * d, lda: d,
                        b: bk.baseAddress! + b0 * d, ldb: d,
                        c: sims, ldc: bn)
                    for i in 0..<qn {
                        push(row: sims + i * bn, count: bn, heap: heaps + (q0 + i) * k, k: k)
                    }
                    b0 += bn
                }
            }
        }
    }

    /// Offers `count` similarities to a min-heap of size k. Sixteen at a time are compared with the
    /// heap's minimum in one SIMD step; almost all are below it once the heap has filled.
    @inline(__always)
    static func push(row: UnsafePointer<Float>, count: Int, heap: UnsafeMutablePointer<Float>, k: Int) {
        var threshold = heap[0]
        var j = 0
        while j + 16 <= count {
            let v = UnsafeRawPointer(row + j).loadUnaligned(as: SIMD16<Float>.self)
            if any(v .> SIMD16<Float>(repeating: threshold)) {
                for i in 0..<16 where v[i] > threshold { threshold = insert(v[i], heap: heap, k: k) }
            }
            j += 16
        }
        while j < count {
            if row[j] > threshold { threshold = insert(row[j], heap: heap, k: k) }
            j += 1
        }
    }

    /// Replaces the heap's root (its minimum) with `v` and sifts it down; returns the new minimum.
    @inline(__always)
    static func insert(_ v: Float, heap: UnsafeMutablePointer<Float>, k: Int) -> Float {
        var i = 0
        while true {
            let l = 2 * i + 1
            if l >= k { break }
            let r = l + 1
            let c = (r < k && heap[r] < heap[l]) ? r : l
            if heap[c] >= v { break }
            heap[i] = heap[c]
            i = c
        }
        heap[i] = v
        return heap[0]
    }

    /// The Euclidean distance between unit vectors with inner product `s`: √(2 − 2s).
    public static func distance(similarity s: Float) -> Double {
        max(0, 2 - 2 * Double(s)).squareRoot()
    }
}
