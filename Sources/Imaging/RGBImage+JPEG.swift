import CImageCodecs
import TagoodSupport

extension RGBImage {
    /// The JPEG qualities the encoder accepts (libjpeg's scale: 1 worst, 100 best).
    public static let jpegQualities: ClosedRange<Int> = 1...100

    /// This image encoded as a baseline JFIF JPEG (libjpeg: YCbCr 4:2:0, standard tables scaled to
    /// `quality`, integer DCT, optimised Huffman tables).
    ///
    /// The output depends only on the pixels, the quality and the libjpeg build, so the same image
    /// always gives the same bytes. `label` names the image in errors. Throws `image.unwritable` for a
    /// quality outside 1...100 or an empty image, `image.out-of-memory` when libjpeg runs out of memory.
    public func jpegData(quality: Int = 90, label: String = "<memory>") throws(ImageError) -> [UInt8] {
        guard Self.jpegQualities.contains(quality) else {
            throw ImageError(.unwritable, path: label, detail: "JPEG quality \(quality) is outside 1...100")
        }
        guard width > 0 && height > 0 else {
            throw ImageError(.unwritable, path: label, detail: "a JPEG cannot be \(width)x\(height)")
        }
        guard width <= 65_500 && height <= 65_500 else {
            throw ImageError(
                .unwritable, path: label,
                detail: "a JPEG is at most 65500 pixels on each side, not \(width)x\(height)")
        }
        return try encoded(label: label) { pixels, data, size, status in
            tg_jpeg_encode_rgb(pixels, Int32(width), Int32(height), Int32(quality), &data, &size, &status)
        }
    }

    /// Writes this image as a JPEG file at `path` (see ``jpegData(quality:label:)``), atomically:
    /// temporary file, fsync, rename.
    public func writeJPEG(to path: String, quality: Int = 90) throws(ImageError) {
        try Self.write(encoded: jpegData(quality: quality, label: path), to: path)
    }
}
