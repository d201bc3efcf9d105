import CImageCodecs

extension ImageDecoder {
    /// Decodes a PNG (every bit depth and colour type, interlaced or not) through libpng in the C shim.
    func decodePNG(_ bytes: [UInt8], path: String) throws(ImageError) -> DecodedImage {
        let result: Result<DecodedImage, ImageError> = bytes.withUnsafeBufferPointer { data in
            var status = tg_status()
            var info = tg_png_info()
            guard let handle = tg_png_open(data.baseAddress, data.count, &info, &status) else {
                return .failure(codecError(status, path: path))
            }
            defer { tg_png_close(handle) }
            return decodeOpened(width: Int(info.width), height: Int(info.height), path: path) { () throws(ImageError) in
                SourceInfo(
                    format: .png, width: Int(info.width), height: Int(info.height),
                    mode: Self.pngMode(info), details: Self.pngDetails(info))
            } readRGB: {
                tg_png_decode_rgb(handle, $0, $1, &$2)
            }
        }
        return try result.get()
    }

    /// The mode Pillow 13 opens a PNG in (PngImagePlugin `_MODES`).
    static func pngMode(_ info: tg_png_info) -> String {
        switch (info.color_type, info.bit_depth) {
        case (0, 1): return "1"
        case (0, 16): return "I;16"
        case (0, _): return "L"
        case (2, _): return "RGB"
        case (3, _): return "P"
        case (4, 16): return "RGBA"
        case (4, _): return "LA"
        case (6, _): return "RGBA"
        default: return "unknown"
        }
    }

    static func pngDetails(_ info: tg_png_info) -> [String] {
        var details = ["\(info.bit_depth)-bit"]
        if info.interlaced != 0 { details.append("interlaced") }
        if info.has_trns != 0 { details.append("tRNS") }
        return details
    }
}
