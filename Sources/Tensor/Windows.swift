/// Swin's window bookkeeping: cyclic roll, window partition and reverse, the shifted-window attention
/// mask, and the relative-position index, all on `[B, H, W, C]` token grids stored row-major.
public enum Windows {
    /// `torch.roll(x, shifts: (shiftH, shiftW), dims: (1, 2))` on a `[B, H, W, C]` tensor:
    /// out[b, (h + shiftH) mod H, (w + shiftW) mod W] = x[b, h, w]. Shifts may be negative.
    public static func roll(_ x: Tensor, shiftH: Int, shiftW: Int) -> Tensor {
        precondition(x.rank == 4, "roll expects [B, H, W, C], got \(x.shape)")
        let (b, h, w, c) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        return Tensor(shape: x.shape) { out in
            x.withUnsafeBufferPointer { src in
                for n in 0..<b {
                    for i in 0..<h {
                        let oi = ((i + shiftH) % h + h) % h
                        for j in 0..<w {
                            let oj = ((j + shiftW) % w + w) % w
                            let s = ((n * h + i) * w + j) * c
                            let d = ((n * h + oi) * w + oj) * c
                            (out.baseAddress! + d).initialize(from: src.baseAddress! + s, count: c)
                        }
                    }
                }
            }
        }
    }

    /// Splits `[B, H, W, C]` into non-overlapping `ws×ws` windows: `[B·(H/ws)·(W/ws), ws·ws, C]`,
    /// windows in row-major order per image, tokens row-major inside each window.
    public static func partition(_ x: Tensor, windowSize ws: Int) -> Tensor {
        precondition(
            x.rank == 4 && x.shape[1] % ws == 0 && x.shape[2] % ws == 0,
            "partition: \(x.shape) not divisible by window \(ws)")
        let (b, h, w, c) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let index = windowIndexMap(batch: b, height: h, width: w, windowSize: ws, shift: 0)
        var out = Tensor(shape: [b * (h / ws) * (w / ws), ws * ws, c])
        x.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                index.withUnsafeBufferPointer {
                    Kernels.gatherRows(src.baseAddress!, into: dst.baseAddress!, index: $0, width: c)
                }
            }
        }
        return out
    }

    /// The inverse of ``partition(_:windowSize:)``: `[B·nW, ws·ws, C]` back to `[B, H, W, C]`.
    public static func reverse(_ windows: Tensor, windowSize ws: Int, height h: Int, width w: Int) -> Tensor {
        precondition(windows.rank == 3 && windows.shape[1] == ws * ws && h % ws == 0 && w % ws == 0)
        let c = windows.shape[2]
        let b = windows.shape[0] / ((h / ws) * (w / ws))
        let index = windowIndexMap(batch: b, height: h, width: w, windowSize: ws, shift: 0)
        var out = Tensor(shape: [b, h, w, c])
        windows.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for (i, t) in index.enumerated() {
                    (dst.baseAddress! + Int(t) * c).update(from: src.baseAddress! + i * c, count: c)
                }
            }
        }
        return out
    }

    /// For the windowed layout of `roll(x, −shift)` partitioned into `ws×ws` windows, the source token
    /// of each row: row r of the windowed tensor is token `map[r]` of the `[B·H·W, C]` grid. With it a
    /// block gathers its windows in one pass and scatters the attention output back (reverse + roll).
    public static func windowIndexMap(
        batch: Int, height h: Int, width w: Int, windowSize ws: Int, shift: Int
    ) -> [Int32] {
        var map = [Int32]()
        map.reserveCapacity(batch * h * w)
        for n in 0..<batch {
            for wh in 0..<(h / ws) {
                for ww in 0..<(w / ws) {
                    for i in 0..<ws {
                        let si = (wh * ws + i + shift) % h
                        for j in 0..<ws {
                            let sj = (ww * ws + j + shift) % w
                            map.append(Int32((n * h + si) * w + sj))
                        }
                    }
                }
            }
        }
        return map
    }

    /// The shifted-window attention mask `[nW, N, N]` (N = ws²) of reference Swin: tokens of the rolled
    /// grid are labelled by the 3×3 region (h and w slices `[0, H−ws)`, `[H−ws, H−shift)`,
    /// `[H−shift, H)`) they came from; pairs in different regions get −100, others 0.
    public static func shiftedWindowMask(height h: Int, width w: Int, windowSize ws: Int, shift: Int) -> Tensor {
        func region(_ p: Int, _ extent: Int) -> Int {
            if p < extent - ws { return 0 }
            if p < extent - shift { return 1 }
            return 2
        }
        let nWh = h / ws, nWw = w / ws, n = ws * ws
        var out = Tensor(shape: [nWh * nWw, n, n])
        out.withUnsafeMutableBufferPointer { m in
            var labels = [Int](repeating: 0, count: n)
            for wh in 0..<nWh {
                for ww in 0..<nWw {
                    for i in 0..<ws {
                        for j in 0..<ws {
                            labels[i * ws + j] = region(wh * ws + i, h) * 3 + region(ww * ws + j, w)
                        }
                    }
                    let base = (wh * nWw + ww) * n * n
                    for a in 0..<n {
                        for b in 0..<n {
                            m[base + a * n + b] = labels[a] == labels[b] ? 0 : -100
                        }
                    }
                }
            }
        }
        return out
    }

    /// Swin's `relative_position_index` for a `ws×ws` window: `[N·N]` indices into the
    /// `(2ws−1)²`-row bias table, index(a, b) = (ha − hb + ws − 1)·(2ws − 1) + (wa − wb + ws − 1).
    public static func relativePositionIndex(windowSize ws: Int) -> [Int32] {
        let n = ws * ws
        var index = [Int32](repeating: 0, count: n * n)
        for a in 0..<n {
            for b in 0..<n {
                let dh = a / ws - b / ws + ws - 1
                let dw = a % ws - b % ws + ws - 1
                index[a * n + b] = Int32(dh * (2 * ws - 1) + dw)
            }
        }
        return index
    }

    /// The dense bias `[heads, N, N]` from a `[(2ws−1)², heads]` table.
    public static func relativePositionBias(table: Tensor, windowSize ws: Int) -> Tensor {
        precondition(table.rank == 2 && table.shape[0] == (2 * ws - 1) * (2 * ws - 1))
        let heads = table.shape[1], n = ws * ws
        let index = relativePositionIndex(windowSize: ws)
        return Tensor(shape: [heads, n, n]) { out in
            table.withUnsafeBufferPointer { t in
                for h in 0..<heads {
                    for p in 0..<(n * n) { out[h * n * n + p] = t[Int(index[p]) * heads + h] }
                }
            }
        }
    }
}
