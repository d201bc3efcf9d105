import CImageCodecs

extension ImageDecoder {
    /// What every codec's decode does once the codec has opened the bytes and read the header: the size
    /// check, the codec's own checks and description (`describe`), then the pixels as 8-bit RGB from
    /// `readRGB` (the codec's `tg_*_decode_rgb` on its open handle).
    func decodeOpened(
        width: Int, height: Int, path: String, describe: () throws(ImageError) -> SourceInfo,
        readRGB: (UnsafeMutablePointer<UInt8>?, Int, inout tg_status) -> Int32
    ) -> Result<DecodedImage, ImageError> {
        do throws(ImageError) {
            try checkSize(width: width, height: height, path: path)
            let source = try describe()
            let count = width * height * 3
            var status = tg_status()
            var code: Int32 = 0
            let pixels = [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
                code = readRGB(buffer.baseAddress, count, &status)
                initialized = code == 0 ? count : 0
            }
            if code != 0 { return .failure(codecError(status, path: path)) }
            return .success(DecodedImage(image: RGBImage(width: width, height: height, pixels: pixels), source: source))
        } catch {
            return .failure(error)
        }
    }
}

/// An ``ImageError`` from a CImageCodecs status.
func codecError(_ status: tg_status, path: String) -> ImageError {
    var status = status
    let message = withUnsafeBytes(of: &status.message) { raw in
        String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
    }
    return ImageError(ImageError.Kind(codecStatus: status.code), path: path, detail: message)
}
