extension RGBImage {
    /// The region `x ..< x + width`, `y ..< y + height`; parts outside the image are black.
    public func cropped(x: Int, y: Int, width: Int, height: Int) -> RGBImage {
        var out = RGBImage(width: width, height: height)
        for row in 0..<height {
            let sy = y + row
            guard sy >= 0 && sy < self.height else { continue }
            for col in 0..<width {
                let sx = x + col
                guard sx >= 0 && sx < self.width else { continue }
                let s = (sy * self.width + sx) * 3, d = (row * width + col) * 3
                out.pixels[d] = pixels[s]
                out.pixels[d + 1] = pixels[s + 1]
                out.pixels[d + 2] = pixels[s + 2]
            }
        }
        return out
    }

    /// torchvision's `CenterCrop((height, width))`: top/left = `int(round((size - crop) / 2.0))`
    /// (Python rounds half to even); an image smaller than the crop is padded with black first,
    /// as torchvision does.
    public func centerCropped(width: Int, height: Int) -> RGBImage {
        let origin = Self.centerCropOrigin(size: (self.width, self.height), crop: (width, height))
        return cropped(x: origin.x, y: origin.y, width: width, height: height)
    }

    /// Where torchvision's center crop starts, in this image's coordinates (negative when padding).
    static func centerCropOrigin(size: (Int, Int), crop: (Int, Int)) -> (x: Int, y: Int) {
        func start(_ size: Int, _ crop: Int) -> Int {
            if crop > size {
                // torchvision pads (crop - size) // 2 on the left/top, then crops at 0.
                return -((crop - size) / 2)
            }
            return Int((Double(size - crop) / 2.0).rounded(.toNearestOrEven))
        }
        return (start(size.0, crop.0), start(size.1, crop.1))
    }
}
