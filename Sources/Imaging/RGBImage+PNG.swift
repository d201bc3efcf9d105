import CImageCodecs
import TagoodSupport

extension RGBImage {
    /// This image encoded as an 8-bit RGB PNG (libpng, zlib `compressionLevel` 0...9).
    /// `label` names the image in errors.
    public func pngData(compressionLevel: Int = 6, label: String = "<memory>") throws(ImageError) -> [UInt8] {
        guard width > 0 && height > 0 else {
            throw ImageError(.unwritable, path: label, detail: "a PNG cannot be \(width)x\(height)")
        }
        return try encoded(label: label) { pixels, data, size, status in
            tg_png_encode_rgb(pixels, Int32(width), Int32(height), Int32(compressionLevel), &data, &size, &status)
        }
    }

    /// Writes this image as a PNG file at `path`, atomically (temporary file, fsync, rename).
    public func writePNG(to path: String, compressionLevel: Int = 6) throws(ImageError) {
        try Self.write(encoded: pngData(compressionLevel: compressionLevel, label: path), to: path)
    }
}
