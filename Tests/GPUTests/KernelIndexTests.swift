import CTagoodCUDA
import Extract
import Model
import TagoodSupport
import Tensor
import Testing

/// libtagood_cuda's index arithmetic (tagood_cuda_index.h), compiled for the host, against the CPU path on
/// RAM's real shapes (Swin-L/384 and Swin-B/384: grids 96/48/24/12, window 12, shift 6; 145 tokens, 4 head
/// heads) and on the test configs. The kernels call these very functions, so what passes here is where
/// the device reads and writes.
@Suite struct KernelIndexTests {
    /// Every (grid, window, shift) a block of a built-in config uses, with its head count.
    struct StageShape: CustomStringConvertible {
        var grid, window, shift, heads, width: Int
        var description: String { "grid \(grid), window \(window), shift \(shift)" }
    }

    static let stageShapes: [StageShape] = {
        var shapes: [StageShape] = []
        for config in RAMConfig.builtins {
            let v = config.vision
            for stage in 0..<v.depths.count {
                for block in 0..<min(2, v.depths[stage]) {
                    shapes.append(
                        StageShape(
                            grid: v.resolution(stage: stage), window: v.window(stage: stage),
                            shift: v.shift(stage: stage, block: block), heads: v.numHeads[stage],
                            width: v.width(stage: stage)))
                }
            }
        }
        var seen = Set<String>()
        return shapes.filter { seen.insert("\($0.grid) \($0.window) \($0.shift) \($0.heads) \($0.width)").inserted }
    }()

    @Test func theShapesIncludeSwinL() {
        let swinL = Self.stageShapes.filter { $0.window == 12 }
        #expect(Set(swinL.map(\.grid)) == [96, 48, 24, 12])
        #expect(swinL.contains { $0.grid == 96 && $0.shift == 6 && $0.heads == 6 })
        #expect(swinL.contains { $0.grid == 12 && $0.shift == 0 && $0.heads == 48 })
    }

    @Test(arguments: stageShapes)
    func windowPartitionIsWindowIndexMap(_ s: StageShape) {
        let images = 2
        let map = Windows.windowIndexMap(
            batch: images, height: s.grid, width: s.grid, windowSize: s.window, shift: s.shift)
        var mismatches = 0
        for (row, token) in map.enumerated() {
            let got = tagood_window_source(Int64(row), Int32(s.grid), Int32(s.window), Int32(s.shift))
            if got != Int64(token) { mismatches += 1 }
        }
        #expect(mismatches == 0, "\(mismatches) of \(map.count) rows differ for \(s)")
    }

    @Test(arguments: stageShapes)
    func windowReverseInvertsThePartition(_ s: StageShape) {
        let l = s.grid * s.grid
        var seen = [Bool](repeating: false, count: l)
        var bad = 0
        for row in 0..<l {
            let token = Int(tagood_window_token(Int32(row), Int32(s.grid), Int32(s.window), Int32(s.shift)))
            if seen[token] { bad += 1 }
            seen[token] = true
            if Int(tagood_token_window_row(Int32(token), Int32(s.grid), Int32(s.window), Int32(s.shift))) != row {
                bad += 1
            }
        }
        #expect(bad == 0 && seen.allSatisfy { $0 }, "not a bijection for \(s)")
    }

    @Test(arguments: stageShapes.filter { $0.shift > 0 })
    func theShiftMaskIsShiftedWindowMask(_ s: StageShape) {
        let mask = Windows.shiftedWindowMask(height: s.grid, width: s.grid, windowSize: s.window, shift: s.shift)
        let n = s.window * s.window, windows = (s.grid / s.window) * (s.grid / s.window)
        #expect(mask.shape == [windows, n, n])
        var mismatches = 0
        mask.scalars.withUnsafeBufferPointer { m in
            for w in 0..<windows {
                for a in 0..<n {
                    for b in 0..<n {
                        let got = tagood_shift_mask_value(
                            Int32(w), Int32(a), Int32(b), Int32(s.grid), Int32(s.window), Int32(s.shift))
                        if got != m[(w * n + a) * n + b] { mismatches += 1 }
                    }
                }
            }
        }
        #expect(mismatches == 0, "\(mismatches) mask values differ for \(s)")
    }

    @Test func anUnshiftedBlockHasNoMask() {
        for a: Int32 in [0, 5, 143] {
            #expect(tagood_shift_mask_value(3, a, 17, 96, 12, 0) == 0)
        }
    }

    @Test(arguments: [1, 2, 3, 4, 6, 7, 12])
    func theRelativePositionIndexIsSwins(_ window: Int) {
        let index = Windows.relativePositionIndex(windowSize: window)
        let n = window * window
        var mismatches = 0
        for a in 0..<n {
            for b in 0..<n where tagood_relative_position_index(Int32(a), Int32(b), Int32(window)) != index[a * n + b] {
                mismatches += 1
            }
        }
        #expect(mismatches == 0)
    }

    @Test(arguments: stageShapes.filter { $0.window == 12 || $0.grid <= 8 })
    func theDenseBiasGatherIsRelativePositionBias(_ s: StageShape) {
        let w = s.window, n = w * w, rows = (2 * w - 1) * (2 * w - 1)
        var rng = SplitMix64(seed: UInt64(s.grid * 1000 + s.heads))
        let table = Tensor(shape: [rows, s.heads], scalars: (0..<(rows * s.heads)).map { _ in rng.truncatedNormal() })
        let dense = Windows.relativePositionBias(table: table, windowSize: w)
        var mismatches = 0
        for h in 0..<s.heads {
            for a in 0..<n {
                for b in 0..<n {
                    let source = Int(
                        tagood_relative_bias_source(Int32(h), Int32(a), Int32(b), Int32(w), Int32(s.heads)))
                    if table.scalars[source] != dense.scalars[(h * n + a) * n + b] { mismatches += 1 }
                }
            }
        }
        #expect(mismatches == 0, "\(mismatches) bias values differ for \(s), \(s.heads) heads")
    }

    /// Patch merging concatenates x[0::2, 0::2], x[1::2, 0::2], x[0::2, 1::2], x[1::2, 1::2] (torch.cat in
    /// Swin's PatchMerging; the CPU path's [x(0,0), x(1,0), x(0,1), x(1,1)]).
    @Test(arguments: [96, 48, 24, 16, 12, 8, 6, 4, 2])
    func thePatchMergingOrderIsSwins(_ grid: Int) {
        let half = grid / 2
        let slices = [(0, 0), (1, 0), (0, 1), (1, 1)] // (row start, column start) of each strided slice
        var mismatches = 0
        for token in 0..<(half * half) {
            for (part, (rowStart, columnStart)) in slices.enumerated() {
                let (i, j) = (token / half, token % half)
                let expected = (rowStart + 2 * i) * grid + columnStart + 2 * j
                if Int(tagood_merge_source(Int32(token), Int32(part), Int32(grid))) != expected { mismatches += 1 }
            }
        }
        #expect(mismatches == 0)
    }

    /// The patch embedding's rows: element (c, kh, kw) of patch (ph, pw) is pixel (c, ph·p + kh, pw·p + kw).
    @Test(arguments: [(384, 4, 3), (96, 4, 3), (32, 4, 3), (64, 4, 3), (12, 2, 2)])
    func thePatchRowsAreTheConvolutionsWindows(_ shape: (Int, Int, Int)) {
        let (resolution, patch, channels) = shape
        let r0 = resolution / patch
        var mismatches = 0
        for token in stride(from: 0, to: r0 * r0, by: max(1, r0 * r0 / 500)) {
            let (ph, pw) = (token / r0, token % r0)
            for c in 0..<channels {
                for kh in 0..<patch {
                    for kw in 0..<patch {
                        let column = (c * patch + kh) * patch + kw
                        let expected = (c * resolution + ph * patch + kh) * resolution + pw * patch + kw
                        let got = tagood_patch_pixel(Int32(token), Int32(column), Int32(patch), Int32(resolution))
                        if Int(got) != expected { mismatches += 1 }
                    }
                }
            }
        }
        #expect(mismatches == 0)
    }

    /// The qkv permutation sends element (row, column) of the [windows·N, 3C] product to
    /// [which][head][window][token][d], which is PyTorch's reshape(Bw, N, 3, heads, hd) with the window and
    /// head axes swapped; the score batch's head and window come back out of its index.
    @Test(arguments: stageShapes.filter { $0.window == 12 || $0.grid <= 8 })
    func theQKVPermutationIsABijectionIntoHeadMajorOrder(_ s: StageShape) {
        let images = 2, n = s.window * s.window, c = s.width, hd = c / s.heads
        let perImage = (s.grid / s.window) * (s.grid / s.window)
        let windows = images * perImage, rows = windows * n
        var seen = [Bool](repeating: false, count: rows * 3 * c)
        var bad = 0
        for row in stride(from: 0, to: rows, by: max(1, rows / 4096)) {
            for column in 0..<(3 * c) {
                let d = Int(
                    tagood_qkv_destination(
                        Int64(row), Int32(column), Int64(windows), Int32(n), Int32(c), Int32(s.heads)))
                if seen[d] { bad += 1 }
                seen[d] = true
                // Decode [which][head][window][token][d].
                let which = d / (s.heads * windows * n * hd)
                let head = d / (windows * n * hd) % s.heads
                let window = d / (n * hd) % windows
                let token = d / hd % n
                if which != column / c || head != column % c / hd || window != row / n || token != row % n
                    || d % hd != column % hd
                {
                    bad += 1
                }
                if column % hd == 0 && column < c {
                    let g = Int64(head * windows + window)
                    if Int(tagood_attention_head(g, Int64(windows))) != head
                        || Int(tagood_attention_window(g, Int64(windows), Int32(perImage))) != window % perImage
                    {
                        bad += 1
                    }
                }
            }
        }
        #expect(bad == 0, "\(bad) misplaced elements for \(s)")
    }

    /// Layer 0's attention store [images][heads][columns][tokens].
    @Test func theHeadAttentionLayoutIsImageHeadColumnToken() {
        let (heads, columns, tokens) = (4, 719, 145)
        #expect(tagood_head_attention_offset(0, 0, 0, 0, 4, 719, 145) == 0)
        #expect(tagood_head_attention_offset(0, 0, 0, 1, 4, 719, 145) == 1)
        #expect(tagood_head_attention_offset(0, 0, 1, 0, 4, 719, 145) == Int64(tokens))
        #expect(tagood_head_attention_offset(0, 1, 0, 0, 4, 719, 145) == Int64(columns * tokens))
        #expect(tagood_head_attention_offset(1, 0, 0, 0, 4, 719, 145) == Int64(heads * columns * tokens))
    }

    // MARK: The ragged token selection

    /// Random layer-0 attention of one image over `columns` columns (some rows constant), softmax-like.
    static func randomAttention(heads: Int, columns: Int, tokens: Int, rng: inout SplitMix64) -> [Float] {
        var a = [Float](repeating: 0, count: heads * columns * tokens)
        for h in 0..<heads {
            for c in 0..<columns {
                let constant = c % 7 == 3
                var sum: Float = 0
                for j in 0..<tokens {
                    let v: Float = constant ? 1 : rng.unit() * rng.unit() + 1e-4
                    a[(h * columns + c) * tokens + j] = v
                    sum += v
                }
                for j in 0..<tokens { a[(h * columns + c) * tokens + j] /= sum }
            }
        }
        return a
    }

    @Test(arguments: [(4, 12, 145), (4, 719, 145), (4, 24, 10), (2, 5, 17), (4, 3, 1)])
    func theSelectionIsTokenSelectors(_ shape: (Int, Int, Int)) throws {
        let (heads, columns, tokens) = shape
        var rng = SplitMix64(seed: UInt64(heads * 100_000 + columns * 100 + tokens))
        let attention = Self.randomAttention(heads: heads, columns: columns, tokens: tokens, rng: &rng)
        var choices: [[Int]] = [[], [0], [columns - 1], Array(0..<columns), [min(3, columns - 1)]]
        for _ in 0..<20 {
            choices.append((0..<columns).filter { _ in rng.unit() < 0.2 })
        }
        for threshold: Float in [0.5, 0.25, 0.9, 0] {
            let selector = TokenSelector(idTags: [0], inDistribution: true, attentionThreshold: threshold)
            for chosen in choices {
                // TokenSelector takes the chosen columns' attention [heads][chosen][tokens].
                var subset = [Float]()
                for h in 0..<heads {
                    for c in chosen {
                        subset.append(
                            contentsOf: attention[((h * columns + c) * tokens)..<((h * columns + c + 1) * tokens)])
                    }
                }
                let expected = try selector.selectTokens(
                    attention: subset, heads: heads, tags: chosen.count, tokens: tokens)
                var row = [Float](repeating: 0, count: tokens), combined = [Float](repeating: -1, count: tokens)
                var kept = [Int16](repeating: -1, count: tokens)
                let chosen32 = chosen.map { Int32($0) }
                let count = tagood_select_image(
                    attention, Int32(heads), Int32(columns), Int32(tokens), chosen32, Int32(chosen.count), threshold,
                    &row, &combined, &kept)
                #expect(combined == expected.attention, "combined map, \(chosen.count) columns, threshold \(threshold)")
                #expect(kept.prefix(Int(count)).map { Int($0) } == expected.tokens)
            }
        }
    }

    @Test func aConstantRowNormalisesToZeros() {
        #expect(tagood_minmax_normalise(0.3, 0.3, 0.3) == 0)
        #expect(tagood_minmax_normalise(0.5, 0, 1) == 0.5)
        #expect(tagood_minmax_normalise(1, 0, 1) == 1)
    }

    @Test func theExclusiveScanAndThePackedRowsOwners() {
        var rng = SplitMix64(seed: 11)
        for images in [1, 2, 7, 64, 256] {
            let counts = (0..<images).map { _ in rng.unit() < 0.3 ? Int32(0) : Int32(rng.next() % 146) }
            var offsets = [Int64](repeating: -1, count: images + 1)
            let total = tagood_exclusive_scan(counts, Int32(images), &offsets)
            var running: Int64 = 0
            for i in 0..<images {
                #expect(offsets[i] == running)
                running += Int64(counts[i])
            }
            #expect(total == running && offsets[images] == running)
            // Every packed row belongs to the image whose range holds it, at its place in that range.
            var r: Int64 = 0
            var bad = 0
            for i in 0..<images {
                for j in 0..<Int(counts[i]) {
                    var image: Int32 = -1, index: Int32 = -1
                    tagood_packed_row_owner(r, offsets, Int32(images), &image, &index)
                    if image != Int32(i) || index != Int32(j) { bad += 1 }
                    r += 1
                }
            }
            #expect(bad == 0, "\(bad) packed rows assigned to the wrong image (\(images) images)")
        }
    }
}
