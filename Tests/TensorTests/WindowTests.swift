import Testing

@testable import Tensor

@Suite struct WindowTests {
    func grid(_ b: Int, _ h: Int, _ w: Int, _ c: Int) -> Tensor {
        Tensor(shape: [b, h, w, c], scalars: (0..<(b * h * w * c)).map(Float.init))
    }

    @Test func rollMatchesTorchSemantics() {
        // torch.roll(arange(12).view(1,3,4,1), shifts=(1,-1), dims=(1,2)).flatten()
        let x = grid(1, 3, 4, 1)
        let y = Windows.roll(x, shiftH: 1, shiftW: -1)
        #expect(y.scalars == [9, 10, 11, 8, 1, 2, 3, 0, 5, 6, 7, 4])
        // Rolling back restores the input, for shifts larger than the extent too.
        #expect(Windows.roll(Windows.roll(x, shiftH: 5, shiftW: -7), shiftH: -5, shiftW: 7) == x)
    }

    @Test func partitionLayoutAndRoundTrip() {
        let x = grid(2, 4, 6, 3)
        let w = Windows.partition(x, windowSize: 2)
        #expect(w.shape == [12, 4, 3])
        // Window 1 of image 0 covers rows 0..<2, columns 2..<4; its third token is (1, 2).
        #expect(w[1, 2, 0] == x[0, 1, 2, 0])
        // Window 7 = image 1, window 1.
        #expect(w[7, 3, 2] == x[1, 1, 3, 2])
        #expect(Windows.reverse(w, windowSize: 2, height: 4, width: 6) == x)
    }

    @Test func indexMapEqualsRollThenPartition() {
        let x = grid(2, 8, 8, 2)
        for shift in [0, 1, 2, 3] {
            let want = Windows.partition(Windows.roll(x, shiftH: -shift, shiftW: -shift), windowSize: 4)
            let map = Windows.windowIndexMap(batch: 2, height: 8, width: 8, windowSize: 4, shift: shift)
            var got = Tensor(shape: want.shape)
            x.withUnsafeBufferPointer { src in
                got.withUnsafeMutableBufferPointer { dst in
                    map.withUnsafeBufferPointer {
                        Kernels.gatherRows(src.baseAddress!, into: dst.baseAddress!, index: $0, width: 2)
                    }
                }
            }
            #expect(got == want, "shift \(shift)")
            // Scatter-add back onto zeros = reverse then roll back.
            var back = Tensor(shape: x.shape)
            got.withUnsafeBufferPointer { src in
                back.withUnsafeMutableBufferPointer { dst in
                    map.withUnsafeBufferPointer {
                        Kernels.scatterAddRows(src.baseAddress!, into: dst.baseAddress!, index: $0, width: 2)
                    }
                }
            }
            #expect(back == x)
        }
    }

    @Test func shiftedMaskMatchesHandComputedCase() {
        // H = W = 4, window 2, shift 1. Regions along each axis: [0,2) → 0, [2,3) → 1, [3,4) → 2.
        // Window 0 (rows 0-1, cols 0-1): all region (0,0): no masking.
        // Window 3 (rows 2-3, cols 2-3): tokens (2,2)=(1,1) (2,3)=(1,2) (3,2)=(2,1) (3,3)=(2,2): all distinct.
        // Window 1 (rows 0-1, cols 2-3): tokens (0,2)=(0,1) (0,3)=(0,2) (1,2)=(0,1) (1,3)=(0,2).
        let m = Windows.shiftedWindowMask(height: 4, width: 4, windowSize: 2, shift: 1)
        #expect(m.shape == [4, 4, 4])
        #expect((0..<16).allSatisfy { m.scalars[$0] == 0 })
        let w3 = Array(m.scalars[48..<64])
        #expect(w3 == [0, -100, -100, -100, -100, 0, -100, -100, -100, -100, 0, -100, -100, -100, -100, 0])
        let w1 = Array(m.scalars[16..<32])
        #expect(w1 == [0, -100, 0, -100, -100, 0, -100, 0, 0, -100, 0, -100, -100, 0, -100, 0])
        // Window 2 (rows 2-3, cols 0-1): (2,0)=(1,0) (2,1)=(1,0) (3,0)=(2,0) (3,1)=(2,0).
        let w2 = Array(m.scalars[32..<48])
        #expect(w2 == [0, 0, -100, -100, 0, 0, -100, -100, -100, -100, 0, 0, -100, -100, 0, 0])
    }

    @Test func relativePositionIndexMatchesSwin() {
        // Swin's buffer for a 2×2 window (printed from the reference implementation's formula).
        #expect(Windows.relativePositionIndex(windowSize: 2) == [4, 3, 1, 0, 5, 4, 2, 1, 7, 6, 4, 3, 8, 7, 5, 4])
        let idx = Windows.relativePositionIndex(windowSize: 7)
        #expect(idx.count == 49 * 49 && idx.max() == 168 && idx.min() == 0 && idx[0] == 84)
        let table = Tensor(shape: [9, 2], scalars: (0..<18).map(Float.init))
        let bias = Windows.relativePositionBias(table: table, windowSize: 2)
        #expect(bias.shape == [2, 4, 4])
        #expect(bias[1, 0, 1] == table[3, 1])
    }
}
