extension TagOODTransform {
    /// Turns a CHW tensor `[3, crop, crop]` back into an 8-bit image for viewing: each value maps to
    /// the byte whose normalised value is nearest, so a tensor made by this transform round-trips
    /// to exactly the resized and cropped pixels. Values outside the byte range are clamped.
    public func denormalize(_ tensor: [Float]) -> RGBImage {
        tensor.withUnsafeBufferPointer { denormalize($0) }
    }

    /// ``denormalize(_:)-([Float])`` on a buffer of exactly ``outputCount`` floats.
    public func denormalize(_ tensor: UnsafeBufferPointer<Float>) -> RGBImage {
        precondition(tensor.count == outputCount, "denormalize: \(tensor.count) floats, needs \(outputCount)")
        let plane = crop * crop
        var pixels = [UInt8](repeating: 0, count: plane * 3)
        for c in 0..<3 {
            for i in 0..<plane {
                pixels[3 * i + c] = table.byte(nearest: tensor[c * plane + i], channel: c)
            }
        }
        return RGBImage(width: crop, height: crop, pixels: pixels)
    }
}
