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
            let width = Int(info.width), height = Int(info.height)
            do throws(ImageError) {
                try checkSize(width: width, height: height, path: path)
            } catch {
                return .failure(error)
            }
            let source = SourceInfo(format: .png, width: width, height: height,
                                    mode: Self.pngMode(info), details: Self.pngDetails(info))
            let count = width * height * 3
            var code: Int32 = 0
            let pixels = [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
                code = tg_png_decode_rgb(handle, buffer.baseAddress, count, &status)
                initialized = code == 0 ? count : 0
            }
            if code != 0 { return .failure(codecError(status, path: path)) }
            return .success(DecodedImage(image: RGBImage(width: width, height: height, pixels: pixels), source: source))
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
