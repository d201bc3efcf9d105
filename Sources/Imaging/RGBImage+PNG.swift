import CImageCodecs
import TagoodSupport

extension RGBImage {
    /// This image encoded as an 8-bit RGB PNG (libpng, zlib `compressionLevel` 0...9).
    /// `label` names the image in errors.
    public func pngData(compressionLevel: Int = 6, label: String = "<memory>") throws(ImageError) -> [UInt8] {
        guard width > 0 && height > 0 else {
            throw ImageError(.unwritable, path: label, detail: "a PNG cannot be \(width)x\(height)")
        }
        var status = tg_status()
        var data: UnsafeMutablePointer<UInt8>? = nil
        var size = 0
        let code = pixels.withUnsafeBufferPointer { p in
            tg_png_encode_rgb(p.baseAddress, Int32(width), Int32(height), Int32(compressionLevel), &data, &size, &status)
        }
        guard code == 0, let data else {
            let error = codecError(status, path: label)
            throw ImageError(code == 4 ? .outOfMemory : .unwritable, path: label, detail: error.detail)
        }
        defer { tg_free(data) }
        return Array(UnsafeBufferPointer(start: data, count: size))
    }

    /// Writes this image as a PNG file at `path`, atomically (temporary file, fsync, rename).
    public func writePNG(to path: String, compressionLevel: Int = 6) throws(ImageError) {
        let bytes = try pngData(compressionLevel: compressionLevel, label: path)
        do {
            try AtomicFile.write(bytes, to: path)
        } catch {
            throw ImageError(.unwritable, path: path, detail: error.description)
        }
    }
}
