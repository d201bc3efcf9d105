extension RGBImage {
    /// This image resized to `width` × `height` exactly as Pillow's
    /// `img.resize((width, height), Image.BILINEAR)` does it (antialiased when shrinking).
    ///
    /// Sizes must be positive. Resizing to the same size returns an identical copy.
    public func resized(width: Int, height: Int) -> RGBImage {
        resized(width: width, height: height, window: (0, 0, width, height))
    }

    /// The `window` (x, y, width, height) of this image resized to `width` × `height`: the same
    /// values as `resized(width:height:)` followed by a crop, but only the window is computed.
    public func resized(width: Int, height: Int, window: (x: Int, y: Int, width: Int, height: Int)) -> RGBImage {
        precondition(width > 0 && height > 0, "resized: target size must be positive")
        precondition(
            window.x >= 0 && window.y >= 0 && window.width > 0 && window.height > 0
                && window.x + window.width <= width && window.y + window.height <= height,
            "resized: window outside the output")
        guard self.width > 0 && self.height > 0 else { return RGBImage(width: window.width, height: window.height) }
        let resampler = Resampler(
            inWidth: self.width, inHeight: self.height, outWidth: width, outHeight: height,
            x0: window.x, y0: window.y, width: window.width, height: window.height)
        let rowBytes = window.width * 3
        var out = [UInt8](repeating: 0, count: window.height * rowBytes)
        out.withUnsafeMutableBufferPointer { o in
            pixels.withUnsafeBufferPointer { src in
                resampler.run(src) { y, row in
                    (o.baseAddress! + y * rowBytes).update(from: row.baseAddress!, count: rowBytes)
                }
            }
        }
        return RGBImage(width: window.width, height: window.height, pixels: out)
    }
}
