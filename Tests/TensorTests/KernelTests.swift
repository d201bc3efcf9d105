import Foundation
import Testing

@testable import Tensor

/// A small deterministic generator for test inputs.
struct TestRNG {
    var state: UInt64
    init(_ seed: UInt64) { state = seed }
    mutating func next() -> Float {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return Float(Double(state >> 40) / Double(1 << 24)) * 2 - 1
    }
    mutating func tensor(_ shape: [Int], scale: Float = 1) -> Tensor {
        var t = Tensor(shape: shape)
        for i in 0..<t.count { t.scalars[i] = next() * scale }
        return t
    }
}

func naiveMatmul(_ a: Tensor, _ b: Tensor, ta: Bool, tb: Bool) -> Tensor {
    let m = ta ? a.shape[1] : a.shape[0], k = ta ? a.shape[0] : a.shape[1]
    let n = tb ? b.shape[0] : b.shape[1]
    var out = Tensor(shape: [m, n])
    for i in 0..<m {
        for j in 0..<n {
            var s = 0.0
            for p in 0..<k {
                let x = ta ? a[p, i] : a[i, p]
                let y = tb ? b[j, p] : b[p, j]
                s += Double(x) * Double(y)
            }
            out[i, j] = Float(s)
        }
    }
    return out
}

@Suite struct GEMMTests {
    @Test(arguments: [(1, 1, 1), (3, 5, 7), (17, 9, 33), (64, 48, 40), (130, 3, 70)])
    func matmulMatchesNaiveForAllTransposes(m: Int, n: Int, k: Int) {
        var rng = TestRNG(UInt64(m * 1000 + n * 10 + k))
        for ta in [false, true] {
            for tb in [false, true] {
                let a = rng.tensor(ta ? [k, m] : [m, k])
                let b = rng.tensor(tb ? [n, k] : [k, n])
                let got = a.matmul(b, transposeSelf: ta, transposeOther: tb)
                let want = naiveMatmul(a, b, ta: ta, tb: tb)
                #expect(got.shape == [m, n])
                #expect(got.maxAbsoluteDifference(want) < 1e-5 * Float(k), "ta=\(ta) tb=\(tb)")
            }
        }
    }

    @Test func batchedMatmulMatchesPerItem() {
        var rng = TestRNG(7)
        let a = rng.tensor([3, 5, 6]), b = rng.tensor([3, 4, 6])
        let got = a.batchedMatmul(b, transposeOther: true)
        for i in 0..<3 {
            let want = naiveMatmul(
                a.slice(outer: i..<(i + 1)).reshaped([5, 6]), b.slice(outer: i..<(i + 1)).reshaped([4, 6]), ta: false,
                tb: true)
            #expect(got.slice(outer: i..<(i + 1)).reshaped([5, 4]).maxAbsoluteDifference(want) < 1e-5)
        }
    }

    @Test func sgemmWithLeadingDimensionsAndBeta() {
        // A strided view: columns 2..<5 of a 4×8 matrix times a 3×2 matrix, accumulated into C.
        var rng = TestRNG(11)
        let a = rng.tensor([4, 8]), b = rng.tensor([3, 2])
        var c = Tensor(shape: [4, 2], repeating: 1)
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                c.withUnsafeMutableBufferPointer { pc in
                    BLAS.sgemm(
                        m: 4, n: 2, k: 3, alpha: 2, a: pa.baseAddress! + 2, lda: 8, b: pb.baseAddress!, ldb: 2,
                        beta: 1, c: pc.baseAddress!, ldc: 2)
                }
            }
        }
        for i in 0..<4 {
            for j in 0..<2 {
                var s: Float = 0
                for p in 0..<3 { s += a[i, 2 + p] * b[p, j] }
                #expect(abs(c[i, j] - (1 + 2 * s)) < 1e-5)
            }
        }
    }

    @Test func linearIsXTimesWTransposePlusBias() {
        var rng = TestRNG(3)
        let x = rng.tensor([2, 3, 5]), w = rng.tensor([4, 5]), b = rng.tensor([4])
        let y = x.linear(weight: w, bias: b)
        #expect(y.shape == [2, 3, 4])
        let want = naiveMatmul(x.reshaped([6, 5]), w, ta: false, tb: true)
        for r in 0..<6 { for o in 0..<4 { #expect(abs(y.scalars[r * 4 + o] - (want[r, o] + b[o])) < 1e-5) } }
    }

    @Test func threadCountIsSettable() {
        let before = BLAS.threadCount
        BLAS.setThreadCount(1)
        #expect(BLAS.threadCount == 1)
        BLAS.setThreadCount(before)
        #expect(!BLAS.configuration.isEmpty)
    }
}

@Suite struct ElementwiseTests {
    @Test(arguments: [1, 7, 8, 13, 64, 100])
    func layerNormMatchesNaive(width: Int) {
        var rng = TestRNG(UInt64(width))
        let x = rng.tensor([3, width], scale: 3), g = rng.tensor([width]), b = rng.tensor([width])
        let y = x.layerNorm(weight: g, bias: b, eps: 1e-5)
        for r in 0..<3 {
            var mean = 0.0, v = 0.0
            for i in 0..<width { mean += Double(x[r, i]) }
            mean /= Double(width)
            for i in 0..<width { v += (Double(x[r, i]) - mean) * (Double(x[r, i]) - mean) }
            v /= Double(width)
            for i in 0..<width {
                let want = (Double(x[r, i]) - mean) / (v + 1e-5).squareRoot() * Double(g[i]) + Double(b[i])
                #expect(abs(Double(y[r, i]) - want) < 2e-5)
            }
        }
    }

    @Test func layerNormTinyEpsOnConstantRowIsFinite() {
        let x = Tensor(shape: [1, 4], repeating: 2)
        let y = x.layerNorm(
            weight: Tensor(shape: [4], repeating: 1), bias: Tensor(shape: [4], repeating: 0.5), eps: 1e-12)
        #expect(y.scalars.allSatisfy { $0 == 0.5 })
    }

    @Test func geluMatchesErfForm() {
        var values: [Float] = []
        var x: Float = -10
        while x <= 10 { values.append(x); x += 0.0137 }
        values += [0, -0, 1e-8, -1e-8, 50, -50]
        let y = Tensor(shape: [values.count], scalars: values).gelu()
        for (v, g) in zip(values, y.scalars) {
            let want = 0.5 * Double(v) * (1 + Foundation.erf(Double(v) / 2.0.squareRoot()))
            #expect(abs(Double(g) - want) < 2e-6 * max(1, abs(want)), "gelu(\(v))")
        }
    }

    @Test func expAndErfAccuracy() {
        var x: Float = -80
        while x < 80 {
            let e = FastMath.exp(x)
            #expect(abs(Double(e) - Foundation.exp(Double(x))) <= 3e-7 * Foundation.exp(Double(x)), "exp(\(x))")
            x += 0.173
        }
        x = -6
        while x < 6 {
            #expect(abs(Double(FastMath.erf(x)) - Foundation.erf(Double(x))) < 6e-7, "erf(\(x))")
            x += 0.0311
        }
        #expect(FastMath.exp(-1000) == 0 || FastMath.exp(-1000) < 1e-37)
    }

    @Test(arguments: [1, 5, 8, 31, 145])
    func softmaxIsStableAndMatchesNaive(width: Int) {
        var rng = TestRNG(UInt64(width) + 100)
        var x = rng.tensor([4, width], scale: 20)
        x[0, 0] = 1000 // would overflow without subtracting the max
        let y = x.softmax()
        for r in 0..<4 {
            let row = (0..<width).map { Double(x[r, $0]) }
            let m = row.max()!
            let s = row.map { Foundation.exp($0 - m) }.reduce(0, +)
            for i in 0..<width {
                #expect(abs(Double(y[r, i]) - Foundation.exp(row[i] - m) / s) < 1e-6)
            }
            #expect(abs((0..<width).map { Double(y[r, $0]) }.reduce(0, +) - 1) < 1e-5)
        }
    }

    @Test func softmaxWithBiasAndMaskEqualsSoftmaxOfSum() {
        var rng = TestRNG(5)
        let x = rng.tensor([3, 9]), b = rng.tensor([3, 9])
        var mask = Tensor(shape: [3, 9])
        mask[1, 4] = -100
        var got = x
        got.withUnsafeMutableBufferPointer { p in
            b.withUnsafeBufferPointer { pb in
                mask.withUnsafeBufferPointer { pm in
                    Kernels.softmaxRows(p.baseAddress!, rows: 3, width: 9, bias: pb.baseAddress!, mask: pm.baseAddress!)
                }
            }
        }
        let want = (x + b + mask).softmax()
        #expect(got.maxAbsoluteDifference(want) < 1e-7)
        #expect(got[1, 4] < 1e-30)
    }

    @Test func reluSigmoidAndAdd() {
        let x = Tensor(shape: [10], scalars: [-3, -1, -0.5, 0, 0.5, 1, 3, 20, -20, 2])
        #expect(x.relu().scalars == [0, 0, 0, 0, 0.5, 1, 3, 20, 0, 2])
        for (v, s) in zip(x.scalars, x.sigmoid().scalars) {
            #expect(abs(Double(s) - 1 / (1 + Foundation.exp(-Double(v)))) < 1e-7)
        }
        #expect((x + x).scalars == x.scalars.map { $0 * 2 })
        var y = x
        y.add(x)
        #expect(y == x + x)
    }
}
