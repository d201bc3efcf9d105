import ArgumentParser
import Foundation
import Job
import Reduce
import Shards
import TagoodSupport
import TagoodTestSupport
import Tensor

/// `tagood-bench reduce`: reduce throughput against `cat`, and KNN against the GEMM ceiling, each pair
/// measured in the same run on the same input.
///
/// 1. Writes a synthetic job (id-train shards, one id-val and one OOD shard), `cat`s its shard files to
///    /dev/null (the file-reading ceiling, from the page cache like the reduce after it), then reduces it:
///    MB/s of shard files and images/s of the partial stage (reading + features + sums).
/// 2. Runs the exact KNN on `--knn-queries` × `--knn-bank` random unit vectors (k = `--knn-k`), then a
///    plain multi-threaded `cblas_sgemm` of the same shapes (no top-k), and extrapolates the KNN time to
///    50,000 queries × 1,281,167 bank images (ImageNet val against ImageNet train).
struct BenchReduce: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reduce",
        abstract: "Reduce throughput vs `cat`, and KNN time vs the cblas_sgemm ceiling."
    )

    @Option(help: "id-train shards to write.") var shards: Int = 8
    @Option(help: "Images per shard.") var imagesPerShard: Int = 500
    @OptionGroup var tokens: SyntheticTokenOptions
    @Option(help: "Classes.") var classes: Int = 100
    @OptionGroup var threads: ThreadOptions
    @Option(help: "KNN queries in the measured run.") var knnQueries: Int = 5000
    @Option(help: "KNN bank rows in the measured run.") var knnBank: Int = 128_000
    @Option(help: "k.") var knnK: Int = 50
    @Flag(help: "Skip the KNN part.") var noKnn = false
    @OptionGroup var results: BenchOutput

    mutating func run() throws {
        let threads = self.threads.threads
        try benchReduce(threads: threads)
        if !noKnn { try benchKNN(threads: threads) }
    }

    private func benchReduce(threads: Int) throws {
        let scratch = try results.scratch(prefix: "tagood-bench-reduce")
        let job = scratch.path + "/job"
        var rng = SplitMix64(seed: 1)
        let d = tokens.embedDim, tokensPerImage = tokens.tokensPerImage
        // ID images scatter around their class's mean, OOD images around 16 other means; a quarter of the
        // OOD images have no token (no ID tag), as TagOOD's selection leaves them.
        let classMeans = (0..<classes).map { _ in (0..<d).map { _ in rng.truncatedNormal() } }
        let oodMeans = (0..<16).map { _ in (0..<d).map { _ in rng.truncatedNormal() } }
        func records(_ name: String, _ count: Int, ood: Bool) -> [ShardRecord] {
            (0..<count).map { i in
                let mean = ood ? oodMeans[i % oodMeans.count] : classMeans[i % classes]
                let empty = ood && i % 4 == 0
                let rows = empty ? 0 : tokensPerImage
                var tokens = [Float](repeating: 0, count: rows * d)
                for r in 0..<rows { for j in 0..<d { tokens[r * d + j] = mean[j] + 1.5 * rng.truncatedNormal() } }
                let globalEmbed = mean.map { $0 + 2 * rng.truncatedNormal() } // before the tag's draw
                let tagProbs: [Float] = empty ? [] : [(ood ? 0.5 : 0.7) + rng.unit() * 0.3, 0.69]
                return ShardRecord(
                    path: "\(name)/\(i).jpg", label: ood ? -1 : Int32(i % classes), tokens: tokens,
                    tokenIndex: (0..<rows).map { Int16($0 % 145) }, globalEmbed: globalEmbed,
                    tagIDs: empty ? [] : [1, 2], tagProbs: tagProbs, attention: [Float](repeating: 0.1, count: 145))
            }
        }
        let names = (0..<classes).map { "c\($0)" }
        try SyntheticJob.write(
            at: job,
            datasets: [
                .init(
                    name: "train", role: .idTrain, classes: names,
                    records: records("train", shards * imagesPerShard, ood: false)),
                .init(name: "val", role: .idVal, classes: names, records: records("val", imagesPerShard, ood: false)),
                .init(name: "ood", role: .ood, records: records("ood", imagesPerShard, ood: true))
            ], imagesPerShard: imagesPerShard, embedDim: d)
        let shardsFolder = JobDirectory(job).shardsFolder
        let files = try FileManager.default.subpathsOfDirectory(atPath: shardsFolder)
            .filter { $0.hasSuffix(".h5") }.sorted().map { shardsFolder + "/" + $0 }
        let bytes = try files.reduce(0) { $0 + (try ShardFile.size(path: $1)) }
        let images = (shards + 2) * imagesPerShard

        // The ceiling: cat every shard to /dev/null (page cache, as the reduce right after).
        let cat = Process()
        cat.executableURL = URL(fileURLWithPath: "/bin/cat")
        cat.arguments = files
        cat.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        let catSeconds = try Stopwatch.seconds {
            try cat.run()
            cat.waitUntilExit()
        }

        let outcome = try Reducer.run(
            directory: JobDirectory(job),
            options: ReduceOptions(threads: threads, knnK: min(knnK, 50)))
        let mbps = Double(bytes) / 1e6 / outcome.partialSeconds, catMBps = Double(bytes) / 1e6 / catSeconds
        let shape = "\(files.count) shards, \(images) images x \(tokensPerImage) tokens x \(d) f16, \(threads) threads"
        results.print(
            "reduce-read", "MB/s", mbps,
            [
                ("vs_cat", Format.fixed(mbps / catMBps, 3)),
                ("mb", Format.fixed(Double(bytes) / 1e6, 1)), ("input", shape)
            ])
        results.print("reduce-read", impl: "cat", "MB/s", catMBps, [("input", shape)])
        results.print(
            "reduce-images", "images/s", Double(images) / outcome.partialSeconds,
            [("reduce_total_s", Format.fixed(outcome.partialSeconds + outcome.scoringSeconds, 3))])
    }

    private func benchKNN(threads: Int) throws {
        let d = tokens.embedDim, q = knnQueries, n = knnBank
        var rng = SplitMix64(seed: 2)
        func unitRows(_ rows: Int) -> [Float] {
            var out = [Float](repeating: 0, count: rows * d)
            for r in 0..<rows {
                var norm: Float = 0
                for j in 0..<d { let v = rng.truncatedNormal(); out[r * d + j] = v; norm += v * v }
                let inv = 1 / norm.squareRoot()
                for j in 0..<d { out[r * d + j] *= inv }
            }
            return out
        }
        let queries = unitRows(q), bank = unitRows(n)
        let flops = 2.0 * Double(q) * Double(n) * Double(d)

        BLAS.setThreadCount(1)
        var start = 0
        let knnSeconds = try Stopwatch.seconds {
            _ = try KNNScorer.kthSimilarity(queries: queries, n: q, d: d, k: knnK, threads: threads) {
                guard start < n else { return nil }
                let rows = min(KNNScorer.chunkRows, n - start)
                defer { start += rows }
                return Array(bank[(start * d)..<((start + rows) * d)])
            }
        }

        // The ceiling: OpenBLAS's own threads, the same products, no top-k, output tiles overwritten.
        BLAS.setThreadCount(threads)
        let block = KNNScorer.bankBlock
        var out = [Float](repeating: 0, count: q * block)
        let gemmSeconds = Stopwatch.seconds {
            queries.withUnsafeBufferPointer { qp in
                bank.withUnsafeBufferPointer { bp in
                    out.withUnsafeMutableBufferPointer { op in
                        var b0 = 0
                        while b0 < n {
                            let bn = min(block, n - b0)
                            BLAS.sgemm(
                                transposeB: true, m: q, n: bn, k: d, a: qp.baseAddress!, lda: d,
                                b: bp.baseAddress! + b0 * d, ldb: d, c: op.baseAddress!, ldc: bn)
                            b0 += bn
                        }
                    }
                }
            }
        }
        BLAS.setThreadCount(1)

        let scale = 50_000.0 * 1_281_167.0 / (Double(q) * Double(n))
        let knnGflops = flops / knnSeconds / 1e9, gemmGflops = flops / gemmSeconds / 1e9
        let shape = "\(q) queries x \(n) bank x \(d), k=\(knnK), \(threads) threads"
        results.print(
            "knn", "GFLOP/s", knnGflops,
            [
                ("vs_gemm", Format.fixed(knnGflops / gemmGflops, 3)),
                ("seconds", Format.fixed(knnSeconds, 3)), ("input", shape)
            ])
        results.print(
            "knn", impl: "cblas_sgemm", "GFLOP/s", gemmGflops,
            [("seconds", Format.fixed(gemmSeconds, 3)), ("input", shape)])
        results.print(
            "knn-imagenet-extrapolated", "s", knnSeconds * scale,
            [("input", "50000 x 1281167 x \(d), from the run above")])
        results.print(
            "knn-imagenet-extrapolated", impl: "cblas_sgemm", "s", gemmSeconds * scale,
            [("input", "GEMM alone")])
    }
}
