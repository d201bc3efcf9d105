extension TagOODTransform {
    /// The CHW float32 tensor `[3, crop, crop]` for `image`, as a flat array.
    public func callAsFunction(_ image: RGBImage) -> [Float] {
        [Float](unsafeUninitializedCapacity: outputCount) { buffer, initialized in
            apply(image, into: buffer)
            initialized = outputCount
        }
    }

    /// Writes the tensor for `image` into `output[offset ..< offset + outputCount]`, for batching.
    public func apply(_ image: RGBImage, into output: inout [Float], at offset: Int = 0) {
        precondition(offset >= 0 && offset + outputCount <= output.count, "TagOODTransform: output too small")
        output.withUnsafeMutableBufferPointer { buffer in
            apply(image, into: UnsafeMutableBufferPointer(rebasing: buffer[offset..<offset + outputCount]))
        }
    }

    /// Writes the tensor for `image` into `output`, which must hold exactly ``outputCount`` floats
    /// (channel planes R, G, B, each `crop` rows of `crop` values).
    ///
    /// Only the resized rows and columns that survive the crop are computed; the values are the
    /// same as resizing the whole image first.
    public func apply(_ image: RGBImage, into output: UnsafeMutableBufferPointer<Float>) {
        precondition(
            output.count == outputCount, "TagOODTransform: output holds \(output.count) floats, needs \(outputCount)")
        let plane = crop * crop
        guard crop <= resizeTo, image.width > 0, image.height > 0 else {
            let small = resizedAndCropped(image)
            small.pixels.withUnsafeBufferPointer { normalize(rows: $0, into: output, plane: plane) }
            return
        }
        let origin = RGBImage.centerCropOrigin(size: (resizeTo, resizeTo), crop: (crop, crop))
        let resampler = Resampler(
            inWidth: image.width, inHeight: image.height, outWidth: resizeTo,
            outHeight: resizeTo, x0: origin.x, y0: origin.y, width: crop, height: crop)
        let out = output.baseAddress!
        let crop = self.crop
        table.values.withUnsafeBufferPointer { lut in
            let r = lut.baseAddress!, g = r + 256, b = r + 512
            image.pixels.withUnsafeBufferPointer { src in
                resampler.run(src) { y, row in
                    let p = row.baseAddress!
                    let oR = out + y * crop, oG = oR + plane, oB = oG + plane
                    for x in 0..<crop {
                        oR[x] = r[Int(p[3 * x])]
                        oG[x] = g[Int(p[3 * x + 1])]
                        oB[x] = b[Int(p[3 * x + 2])]
                    }
                }
            }
        }
    }

    /// Normalises interleaved RGB bytes (`crop * crop` pixels) into CHW planes.
    private func normalize(rows: UnsafeBufferPointer<UInt8>, into output: UnsafeMutableBufferPointer<Float>, plane: Int)
    {
        for i in 0..<plane {
            output[i] = table[0, rows[3 * i]]
            output[plane + i] = table[1, rows[3 * i + 1]]
            output[2 * plane + i] = table[2, rows[3 * i + 2]]
        }
    }
}
