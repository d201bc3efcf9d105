import Foundation
import Testing

@testable import Learning

/// Every layer's backward pass against central finite differences in float64 (relative error ≤ 1e-6).
@Suite struct LayerGradientTests {
    let tolerance = 1e-6

    @Test func linear() {
        let rows = 3, inputs = 5, outputs = 4
        let x = Matrix(rows: rows, columns: inputs, GradientCheck.random(rows * inputs, seed: 1))
        let w = Matrix(rows: outputs, columns: inputs, GradientCheck.random(outputs * inputs, seed: 2))
        let b = Matrix(rows: 1, columns: outputs, GradientCheck.random(outputs, seed: 3))
        let r = GradientCheck.random(rows * outputs, seed: 4)
        let y = Matrix<Double>(rows: rows, columns: outputs)
        func loss() -> Double {
            Linear.forward(
                x.pointer, rows: rows, in: inputs, out: outputs, weight: w.pointer, bias: b.pointer, into: y.pointer)
            return GradientCheck.dot(y.pointer, r)
        }
        let dy = Matrix(rows: rows, columns: outputs, r)
        let dw = Matrix<Double>(rows: outputs, columns: inputs), db = Matrix<Double>(rows: 1, columns: outputs)
        let dx = Matrix<Double>(rows: rows, columns: inputs)
        Linear.backward(
            x.pointer, dy.pointer, rows: rows, in: inputs, out: outputs, weight: w.pointer, weightGradient: dw.pointer,
            biasGradient: db.pointer, inputGradient: dx.pointer)
        #expect(
            GradientCheck.relativeError(dw.values, GradientCheck.numeric(w.pointer, count: w.count, loss)) < tolerance)
        #expect(
            GradientCheck.relativeError(db.values, GradientCheck.numeric(b.pointer, count: b.count, loss)) < tolerance)
        #expect(
            GradientCheck.relativeError(dx.values, GradientCheck.numeric(x.pointer, count: x.count, loss)) < tolerance)
    }

    @Test func layerNorm() {
        let rows = 4, width = 6
        let x = Matrix(rows: rows, columns: width, GradientCheck.random(rows * width, seed: 5, scale: 2))
        let gamma = Matrix(rows: 1, columns: width, GradientCheck.random(width, seed: 6).map { 1 + $0 / 2 })
        let beta = Matrix(rows: 1, columns: width, GradientCheck.random(width, seed: 7))
        let r = GradientCheck.random(rows * width, seed: 8)
        let y = Matrix<Double>(rows: rows, columns: width), rstd = Matrix<Double>(rows: rows, columns: 1)
        func loss() -> Double {
            LayerNorm.forward(
                x.pointer, rows: rows, width: width, gamma: gamma.pointer, beta: beta.pointer, eps: 1e-6,
                into: y.pointer, inverseStd: rstd.pointer)
            return GradientCheck.dot(y.pointer, r)
        }
        _ = loss()
        let dy = Matrix(rows: rows, columns: width, r), dx = Matrix<Double>(rows: rows, columns: width)
        let dg = Matrix<Double>(rows: 1, columns: width), dbeta = Matrix<Double>(rows: 1, columns: width)
        let scratch = Matrix<Double>(rows: rows, columns: width)
        LayerNorm.backward(
            x.pointer, dy.pointer, rows: rows, width: width, gamma: gamma.pointer, inverseStd: rstd.pointer,
            inputGradient: dx.pointer, accumulate: false, gammaGradient: dg.pointer, betaGradient: dbeta.pointer,
            scratch: scratch.pointer)
        #expect(
            GradientCheck.relativeError(dx.values, GradientCheck.numeric(x.pointer, count: x.count, loss)) < tolerance)
        #expect(
            GradientCheck.relativeError(dg.values, GradientCheck.numeric(gamma.pointer, count: width, loss)) < tolerance
        )
        #expect(
            GradientCheck.relativeError(dbeta.values, GradientCheck.numeric(beta.pointer, count: width, loss))
                < tolerance)
    }

    @Test(arguments: [QueryRows.all, QueryRows.first])
    func maskedMultiHeadAttention(queries: QueryRows) {
        let width = 8, heads = 2
        // Two samples of 3 and 5 rows; the second's key 3 is masked (an all-zero token).
        let batch = RaggedBatch(lengths: [3, 5], maskedKeys: [[], [3]])
        let rows = batch.totalRows, rq = queries.count(batch)
        let qkv = Matrix(rows: rows, columns: 3 * width, GradientCheck.random(rows * 3 * width, seed: 9, scale: 1.5))
        let r = GradientCheck.random(rq * width, seed: 10)
        let (offsets, total) = MultiHeadAttention.probabilityOffsets(batch, queries: queries, heads: heads)
        let probabilities = Matrix<Double>(rows: 1, columns: total), out = Matrix<Double>(rows: rq, columns: width)
        func loss() -> Double {
            MultiHeadAttention.forward(
                qkv: qkv.pointer, batch: batch, queries: queries, width: width, heads: heads,
                probabilities: probabilities.pointer, offsets: offsets, into: out.pointer)
            return GradientCheck.dot(out.pointer, r)
        }
        _ = loss()
        let dOut = Matrix(rows: rq, columns: width, r), dqkv = Matrix<Double>(rows: rows, columns: 3 * width)
        MultiHeadAttention.backward(
            qkv: qkv.pointer, outputGradient: dOut.pointer, batch: batch, queries: queries, width: width,
            heads: heads, probabilities: probabilities.pointer, offsets: offsets, qkvGradient: dqkv.pointer,
            scratch: Matrix())
        let numeric = GradientCheck.numeric(qkv.pointer, count: qkv.count, loss)
        #expect(GradientCheck.relativeError(dqkv.values, numeric) < tolerance)
        // The masked key gets no weight, so its key and value rows get no gradient.
        let maskedRow = batch.starts[1] + 3
        #expect((width..<(3 * width)).allSatisfy { abs(dqkv[maskedRow, $0]) < 1e-300 })
    }

    @Test func gelu() {
        let n = 11
        let x = Matrix(rows: 1, columns: n, (0..<n).map { Double($0) * 0.7 - 3.5 })
        let r = GradientCheck.random(n, seed: 11)
        let y = Matrix<Double>(rows: 1, columns: n)
        func loss() -> Double { Double.gelu(x.pointer, y.pointer, n); return GradientCheck.dot(y.pointer, r) }
        let dy = Matrix(rows: 1, columns: n, r), dx = Matrix<Double>(rows: 1, columns: n)
        Double.geluBackward(x.pointer, dy.pointer, dx.pointer, n)
        #expect(GradientCheck.relativeError(dx.values, GradientCheck.numeric(x.pointer, count: n, loss)) < tolerance)
        // and the float32 kernels agree with the float64 ones
        let xf = x.values.map(Float.init), dyf = r.map(Float.init)
        var yf = [Float](repeating: 0, count: n), dxf = [Float](repeating: 0, count: n)
        Float.gelu(xf, &yf, n)
        Float.geluBackward(xf, dyf, &dxf, n)
        _ = loss()
        for i in 0..<n {
            #expect(abs(Double(yf[i]) - y[0, i]) < 1e-6)
            #expect(abs(Double(dxf[i]) - dx[0, i]) < 1e-6)
        }
    }

    @Test func softmaxCrossEntropy() {
        let batch = 4, classes = 5, labels = [1, 4, 0, 1]
        let logits = Matrix(rows: batch, columns: classes, GradientCheck.random(batch * classes, seed: 12, scale: 3))
        let g = Matrix<Double>(rows: batch, columns: classes)
        func loss() -> Double {
            SoftmaxCrossEntropy.loss(logits.pointer, labels: labels, classes: classes, gradient: g.pointer).loss
        }
        let numeric = GradientCheck.numeric(logits.pointer, count: logits.count, loss)
        _ = loss()
        #expect(GradientCheck.relativeError(g.values, numeric) < tolerance)
        // −log softmax by hand for row 0
        let row = (0..<classes).map { logits[0, $0] }
        let manual = -(row[1] - Foundation.log(row.map { Foundation.exp($0) }.reduce(0, +)))
        let all = (0..<batch).map { i -> Double in
            let r = (0..<classes).map { logits[i, $0] }
            return -(r[labels[i]] - Foundation.log(r.map { Foundation.exp($0) }.reduce(0, +)))
        }
        #expect(abs(loss() - all.reduce(0, +) / Double(batch)) < 1e-12)
        #expect(abs(all[0] - manual) < 1e-12)
    }

    @Test func centerMSE() {
        let batch = 3, width = 8, patterns = 4, labels = [2, 0, 2]
        let f = Matrix(rows: batch, columns: width, GradientCheck.random(batch * width, seed: 13))
        let centers = Matrix(rows: 3, columns: width, GradientCheck.random(3 * width, seed: 14))
        let g = Matrix<Double>(rows: batch, columns: width)
        func loss() -> Double {
            CenterLoss.loss(
                f.pointer, labels: labels, centers: centers.pointer, patterns: patterns, width: width,
                gradient: g.pointer)
        }
        let numeric = GradientCheck.numeric(f.pointer, count: f.count, loss)
        let value = loss()
        #expect(GradientCheck.relativeError(g.values, numeric) < tolerance)
        // mean over the 2 dims of a pattern, sum over the 4 patterns, mean over the batch
        var manual = 0.0
        for i in 0..<batch {
            for p in 0..<patterns {
                var s = 0.0
                for d in 0..<2 { let e = f[i, p * 2 + d] - centers[labels[i], p * 2 + d]; s += e * e }
                manual += s / 2
            }
        }
        #expect(abs(value - manual / Double(batch)) < 1e-12)
    }

    @Test func clamp() {
        let clamp = LossClamp()
        for x in [3e-6, 2e-5, 0.7, 999.0, 1001.0] {
            let v = UnsafeMutablePointer<Double>.allocate(capacity: 1)
            defer { v.deallocate() }
            v.pointee = x
            let numeric = GradientCheck.numeric(v, count: 1, h: x * 1e-6) { clamp.value(v.pointee) }
            #expect(abs(clamp.gradient(x) - numeric[0]) < 1e-6, "x = \(x)")
        }
        #expect(clamp.value(1e-7) == 1e-5 && clamp.value(5e3) == 1e3 && clamp.value(2.5) == 2.5)
        // the bounds themselves pass the gradient, as torch.clamp's does
        #expect(clamp.gradient(1e-5) == 1 && clamp.gradient(1e3) == 1)
    }
}
