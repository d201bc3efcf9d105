/// Pillow's two-pass separable resample (`ImagingResampleInner`, Pillow 13), restricted to a window
/// of the output.
///
/// Pass order follows Pillow 13: the horizontal pass runs first (over only the input rows that the
/// vertical pass reads), unless the height shrinks by more than twice as many pixels as the width
/// (`ih - oh > 0 && ih - oh > (iw - ow) * 2`), in which case the vertical pass runs first. The 8-bit
/// intermediate image makes the order matter. A pass is skipped when its axis keeps its size.
///
/// Only the output rows and columns in the window are computed; each output value depends only on
/// its own weights, so the values are identical to resizing the whole image and then cropping.
struct Resampler {
    let inWidth: Int
    let inHeight: Int
    let outWidth: Int
    let outHeight: Int
    /// The output window: columns `x0 ..< x0 + width`, rows `y0 ..< y0 + height`.
    let x0: Int, y0: Int, width: Int, height: Int

    /// Whether Pillow 13 runs the vertical pass first for these sizes.
    var verticalFirst: Bool {
        let dy = inHeight - outHeight, dx = inWidth - outWidth
        return dy > 0 && dy > dx * 2
    }

    /// Resamples `source` (interleaved RGB, `inWidth` × `inHeight`) and hands each output row of the
    /// window, top to bottom, to `row(y, bytes)` where `bytes` holds `width * 3` values and `y`
    /// counts from the window top.
    func run(_ source: UnsafeBufferPointer<UInt8>, row: (Int, UnsafeBufferPointer<UInt8>) -> Void) {
        let horizontal = outWidth != inWidth ? ResampleCoefficients(inSize: inWidth, outSize: outWidth) : nil
        let vertical = outHeight != inHeight ? ResampleCoefficients(inSize: inHeight, outSize: outHeight) : nil
        if verticalFirst {
            runVerticalFirst(source, horizontal, vertical, row)
        } else {
            runHorizontalFirst(source, horizontal, vertical, row)
        }
    }

    /// Input columns `[first, last)` that the window's horizontal pass reads.
    private func columnSpan(_ h: ResampleCoefficients?) -> (Int, Int) {
        guard let h else { return (x0, x0 + width) }
        let last = x0 + width - 1
        return (Int(h.first[x0]), Int(h.first[last] + h.count[last]))
    }

    /// Input rows `[first, last)` that the window's vertical pass reads.
    private func rowSpan(_ v: ResampleCoefficients?) -> (Int, Int) {
        guard let v else { return (y0, y0 + height) }
        let last = y0 + height - 1
        return (Int(v.first[y0]), Int(v.first[last] + v.count[last]))
    }

    private func runHorizontalFirst(
        _ source: UnsafeBufferPointer<UInt8>, _ horizontal: ResampleCoefficients?,
        _ vertical: ResampleCoefficients?, _ row: (Int, UnsafeBufferPointer<UInt8>) -> Void
    ) {
        let rowBytes = width * 3
        let (firstRow, lastRow) = rowSpan(vertical)
        let src = source.baseAddress!
        let inStride = inWidth * 3
        // Horizontal pass: input rows firstRow ..< lastRow, window columns only.
        var temp = [UInt8](repeating: 0, count: (lastRow - firstRow) * rowBytes)
        temp.withUnsafeMutableBufferPointer { t in
            for y in firstRow..<lastRow {
                let out = t.baseAddress! + (y - firstRow) * rowBytes
                if let h = horizontal {
                    Self.horizontalRow(src + y * inStride, h, columns: x0..<(x0 + width), shift: 0, out: out)
                } else {
                    out.update(from: src + y * inStride + x0 * 3, count: rowBytes)
                }
            }
        }
        temp.withUnsafeBufferPointer { t in
            guard let v = vertical else {
                for y in 0..<height {
                    let start = (y0 + y - firstRow) * rowBytes
                    row(y, UnsafeBufferPointer(rebasing: t[start..<start + rowBytes]))
                }
                return
            }
            var accumulator = [Int32](repeating: 0, count: rowBytes)
            var out = [UInt8](repeating: 0, count: rowBytes)
            accumulator.withUnsafeMutableBufferPointer { acc in
                out.withUnsafeMutableBufferPointer { o in
                    for y in 0..<height {
                        Self.verticalRow(
                            t.baseAddress!, stride: rowBytes, bytes: rowBytes, v, output: y0 + y,
                            rowShift: firstRow, accumulator: acc.baseAddress!, out: o.baseAddress!)
                        row(y, UnsafeBufferPointer(o))
                    }
                }
            }
        }
    }

    private func runVerticalFirst(
        _ source: UnsafeBufferPointer<UInt8>, _ horizontal: ResampleCoefficients?,
        _ vertical: ResampleCoefficients?, _ row: (Int, UnsafeBufferPointer<UInt8>) -> Void
    ) {
        let rowBytes = width * 3
        let (firstColumn, lastColumn) = columnSpan(horizontal)
        let spanBytes = (lastColumn - firstColumn) * 3
        let src = source.baseAddress! + firstColumn * 3
        let inStride = inWidth * 3
        var line = [UInt8](repeating: 0, count: spanBytes)
        var accumulator = [Int32](repeating: 0, count: spanBytes)
        var out = [UInt8](repeating: 0, count: rowBytes)
        line.withUnsafeMutableBufferPointer { l in
            accumulator.withUnsafeMutableBufferPointer { acc in
                out.withUnsafeMutableBufferPointer { o in
                    for y in 0..<height {
                        // Vertical pass: one row of the intermediate image, the needed columns only.
                        if let v = vertical {
                            Self.verticalRow(
                                src, stride: inStride, bytes: spanBytes, v, output: y0 + y, rowShift: 0,
                                accumulator: acc.baseAddress!, out: l.baseAddress!)
                        } else {
                            l.baseAddress!.update(from: src + (y0 + y) * inStride, count: spanBytes)
                        }
                        // Horizontal pass on that row.
                        if let h = horizontal {
                            Self.horizontalRow(
                                l.baseAddress!, h, columns: x0..<(x0 + width), shift: firstColumn,
                                out: o.baseAddress!)
                            row(y, UnsafeBufferPointer(o))
                        } else {
                            row(
                                y,
                                UnsafeBufferPointer(
                                    rebasing: l[(x0 - firstColumn) * 3..<(x0 - firstColumn) * 3 + rowBytes]))
                        }
                    }
                }
            }
        }
    }

    /// `ImagingResampleHorizontal_8bpc` for 3 bands on one row: output columns `columns`, reading
    /// `line` whose first pixel is input column `shift`.
    @inline(__always)
    static func horizontalRow(
        _ line: UnsafePointer<UInt8>, _ c: ResampleCoefficients, columns: Range<Int>,
        shift: Int, out: UnsafeMutablePointer<UInt8>
    ) {
        c.weights.withUnsafeBufferPointer { wp in
            c.first.withUnsafeBufferPointer { fp in
                c.count.withUnsafeBufferPointer { cp in
                    var o = out
                    for xx in columns {
                        let k = wp.baseAddress! + xx * c.taps
                        var p = line + (Int(fp[xx]) - shift) * 3
                        var s0 = ResampleCoefficients.half, s1 = s0, s2 = s0
                        for x in 0..<Int(cp[xx]) {
                            let w = k[x]
                            s0 &+= Int32(p[0]) &* w
                            s1 &+= Int32(p[1]) &* w
                            s2 &+= Int32(p[2]) &* w
                            p += 3
                        }
                        o[0] = ResampleCoefficients.clip8(s0)
                        o[1] = ResampleCoefficients.clip8(s1)
                        o[2] = ResampleCoefficients.clip8(s2)
                        o += 3
                    }
                }
            }
        }
    }

    /// One output row of `ImagingResampleVertical_8bpc`: the weighted sum of the input rows that
    /// output row `output` reads. Input row `r` starts at `source + (r - rowShift) * stride`; `bytes`
    /// values are produced.
    @inline(__always)
    static func verticalRow(
        _ source: UnsafePointer<UInt8>, stride: Int, bytes: Int, _ v: ResampleCoefficients,
        output: Int, rowShift: Int, accumulator acc: UnsafeMutablePointer<Int32>,
        out: UnsafeMutablePointer<UInt8>
    ) {
        let ymin = Int(v.first[output]) - rowShift
        let taps = Int(v.count[output])
        for i in 0..<bytes { acc[i] = ResampleCoefficients.half }
        v.weights.withUnsafeBufferPointer { wp in
            let k = wp.baseAddress! + output * v.taps
            for y in 0..<taps {
                let w = k[y]
                let line = source + (ymin + y) * stride
                for i in 0..<bytes {
                    acc[i] &+= Int32(line[i]) &* w
                }
            }
        }
        for i in 0..<bytes {
            out[i] = ResampleCoefficients.clip8(acc[i])
        }
    }
}
