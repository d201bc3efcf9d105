import CKernels
import Foundation
import Testing

@testable import Tensor

/// The C kernels (GELU, bias + GELU, softmax) at every instruction-set level this CPU supports, against
/// float64: the copy a machine picks is not always the one the test machine would, so each is forced in
/// turn. Serialized: the forced level is process-wide.
@Suite(.serialized) struct KernelLevelTests {
    /// The levels to check (up to what this CPU runs) and the level to restore afterwards.
    static func levels() -> (levels: [Int32], restore: Int32) {
        let restore = tg_kernel_level()
        let top = tg_force_kernel_level(2)
        _ = tg_force_kernel_level(restore)
        return (Array(0...top), restore)
    }

    @Test func geluAtEveryLevel() {
        let (levels, restore) = Self.levels()
        defer { _ = tg_force_kernel_level(restore) }
        var values: [Float] = []
        var x: Float = -9
        while x <= 9 { values.append(x); x += 0.0173 }
        values += [0, -0, 1e-8, -1e-8, 50, -50, 87, -88] // and a tail that is not a multiple of 16
        for level in levels {
            #expect(tg_force_kernel_level(level) == level)
            var y = values
            y.withUnsafeMutableBufferPointer { tg_gelu($0.baseAddress!, $0.count) }
            for (v, g) in zip(values, y) {
                let want = 0.5 * Double(v) * (1 + Foundation.erf(Double(v) / 2.0.squareRoot()))
                #expect(abs(Double(g) - want) < 2e-6 * max(1, abs(want)), "level \(level): gelu(\(v)) = \(g)")
            }
        }
    }

    @Test(arguments: [1, 16, 37, 144])
    func addBiasGELUAtEveryLevel(width: Int) {
        let (levels, restore) = Self.levels()
        defer { _ = tg_force_kernel_level(restore) }
        var rng = TestRNG(UInt64(width))
        let x = rng.tensor([3, width], scale: 3).scalars, bias = rng.tensor([width]).scalars
        for level in levels {
            _ = tg_force_kernel_level(level)
            var y = x
            y.withUnsafeMutableBufferPointer { p in
                bias.withUnsafeBufferPointer { tg_add_bias_gelu(p.baseAddress!, 3, width, $0.baseAddress!) }
            }
            for r in 0..<3 {
                for j in 0..<width {
                    let v = Double(x[r * width + j]) + Double(bias[j])
                    let want = 0.5 * v * (1 + Foundation.erf(v / 2.0.squareRoot()))
                    #expect(
                        abs(Double(y[r * width + j]) - want) < 3e-6 * max(1, abs(want)),
                        "level \(level), row \(r), column \(j)")
                }
            }
        }
    }

    @Test(arguments: [1, 9, 16, 145])
    func softmaxWithBiasAndMaskAtEveryLevel(width: Int) {
        let (levels, restore) = Self.levels()
        defer { _ = tg_force_kernel_level(restore) }
        var rng = TestRNG(UInt64(width) + 7)
        let rows = 4
        var x = rng.tensor([rows, width], scale: 8).scalars
        x[0] = 1000 // overflows without subtracting the row's maximum
        let bias = rng.tensor([rows, width]).scalars
        var mask = [Float](repeating: 0, count: rows * width)
        mask[width + width / 2] = -100
        for level in levels {
            _ = tg_force_kernel_level(level)
            for useBias in [false, true] {
                var y = x
                y.withUnsafeMutableBufferPointer { p in
                    bias.withUnsafeBufferPointer { b in
                        mask.withUnsafeBufferPointer { m in
                            tg_softmax_rows(p.baseAddress!, rows, width, useBias ? b.baseAddress! : nil, m.baseAddress!)
                        }
                    }
                }
                for r in 0..<rows {
                    let row = (0..<width).map {
                        Double(x[r * width + $0]) + (useBias ? Double(bias[r * width + $0]) : 0)
                            + Double(mask[r * width + $0])
                    }
                    let top = row.max()!
                    let sum = row.map { Foundation.exp($0 - top) }.reduce(0, +)
                    for j in 0..<width {
                        #expect(
                            abs(Double(y[r * width + j]) - Foundation.exp(row[j] - top) / sum) < 1e-6,
                            "level \(level), row \(r), column \(j)")
                    }
                }
            }
        }
    }
}
