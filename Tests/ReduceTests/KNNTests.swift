import Foundation
import Reduce
import TagoodSupport
import TagoodTestSupport
import Tensor
import Testing

/// The blocked, streamed KNN against a brute-force double-precision reference.
@Suite struct KNNTests {
    static func unitRows(_ n: Int, _ d: Int, _ rng: inout Generator) -> [Float] {
        var out: [Float] = []
        for _ in 0..<n {
            let v = (0..<d).map { _ in Double(rng.normal()) }
            out += Vectors.normalised(v)!
        }
        return out
    }

    @Test(arguments: [1, 7, 50])
    func matchesBruteForce(k: Int) throws {
        // As the reducer does: OpenBLAS with threads of its own is not safe to call from several threads
        // at once (and another test may have given it two).
        BLAS.setThreadCount(1)
        var rng = Generator(seed: UInt64(k))
        let d = 24, n = 100, bankSize = 9000 // more than one bank tile and several query blocks
        let queries = Self.unitRows(n, d, &rng), bank = Self.unitRows(bankSize, d, &rng)
        // Chunks of uneven sizes, as partial files would give.
        func chunks() -> () -> [Float]? {
            var start = 0
            let sizes = [1000, 4500, 3500]
            var i = 0
            return {
                guard start < bankSize else { return nil }
                let rows = min(sizes[i % sizes.count], bankSize - start)
                defer { start += rows; i += 1 }
                return Array(bank[(start * d)..<((start + rows) * d)])
            }
        }
        let one = try KNNScorer.kthSimilarity(queries: queries, n: n, d: d, k: k, threads: 1, nextChunk: chunks())
        let many = try KNNScorer.kthSimilarity(queries: queries, n: n, d: d, k: k, threads: 3, nextChunk: chunks())
        #expect(one == many)
        for q in 0..<n {
            var sims: [Double] = []
            sims.reserveCapacity(bankSize)
            for b in 0..<bankSize {
                var s = 0.0
                for j in 0..<d { s += Double(queries[q * d + j]) * Double(bank[b * d + j]) }
                sims.append(s)
            }
            sims.sort(by: >)
            #expect(abs(Double(one[q]) - sims[k - 1]) < 1e-5, "query \(q): \(one[q]) vs \(sims[k - 1])")
        }
    }

    @Test func distanceOfUnitVectors() {
        #expect(KNNScorer.distance(similarity: 1) == 0)
        #expect(abs(KNNScorer.distance(similarity: 0) - 2.0.squareRoot()) < 1e-12)
        #expect(KNNScorer.distance(similarity: 1.0000001) == 0) // rounding above 1 does not make NaN
    }
}

@Suite struct CholeskyTests {
    @Test func factorsASymmetricPositiveDefiniteMatrix() throws {
        let a: [Double] = [4, 2, 2, 2, 5, 3, 2, 3, 6]
        let c = try #require(Cholesky(a, d: 3))
        #expect(c.ridge == 0)
        for i in 0..<3 {
            for j in 0..<3 {
                var s = 0.0
                for k in 0..<3 { s += c.lower[i * 3 + k] * c.lower[j * 3 + k] }
                #expect(abs(s - a[i * 3 + j]) < 1e-12)
            }
        }
        let y = c.solveLower([2, 1, 3])
        #expect(abs(c.lower[0] * y[0] - 2) < 1e-12)
    }

    @Test func singularMatrixGetsARidge() throws {
        let a: [Double] = [1, 1, 1, 1] // rank 1
        let c = try #require(Cholesky(a, d: 2))
        #expect(c.ridge > 0 && c.ridge < 1e-3)
        #expect(try #require(Cholesky([0, 0, 0, 0], d: 2)).ridge == 1e-8) // every feature equal: a pure ridge
        #expect(Cholesky([.nan, 0, 0, 1], d: 2) == nil)
    }
}

@Suite struct ArrayFileTests {
    @Test func roundTripsEveryDType() throws {
        var file = ArrayFile(meta: ["kind": "test", "note": "ü \"quoted\""])
        file.add("f", shape: [2, 3], floats: [1, 2, 3, 4, 5, .pi])
        file.add("d", shape: [2], doubles: [1e-300, -0.0])
        file.add("i", shape: [3], int32s: [-1, 0, .max])
        file.add("l", shape: [1], int64s: [.min])
        file.add("b", shape: [0], bytes: [])
        let bytes = file.encoded()
        #expect(bytes == file.encoded())
        let back = try ArrayFile.decode(bytes, path: "test")
        #expect(back.meta == file.meta)
        #expect(back.floats("f") == [1, 2, 3, 4, 5, .pi] && back.shape("f") == [2, 3])
        #expect(back.doubles("d")?.map(\.bitPattern) == [1e-300, -0.0].map(\.bitPattern))
        #expect(back.int32s("i") == [-1, 0, .max] && back.int64s("l") == [.min] && back.bytes("b") == [])
        #expect(back.floats("d") == nil)
        #expect(throws: ReduceError.self) { try ArrayFile.decode(Array(bytes.prefix(40)), path: "cut") }

        // Written straight from the arrays (no assembled copy), the file holds exactly those bytes,
        // and a decoded file writes back the same bytes.
        let dir = try TemporaryDirectory()
        try file.write(to: dir.path + "/a.bin")
        #expect(Array(try Data(contentsOf: URL(fileURLWithPath: dir.path + "/a.bin"))) == bytes)
        try back.write(to: dir.path + "/b.bin")
        #expect(try ArrayFile.read(path: dir.path + "/b.bin").encoded() == bytes)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() == ["a.bin", "b.bin"])
    }
}
