import CImageCodecs

extension ImageDecoder {
    /// Decodes a JPEG (baseline, progressive, grayscale, CMYK/YCCK) through libjpeg in the C shim.
    func decodeJPEG(_ bytes: [UInt8], path: String) throws(ImageError) -> DecodedImage {
        let result: Result<DecodedImage, ImageError> = bytes.withUnsafeBufferPointer { data in
            var status = tg_status()
            var info = tg_jpeg_info()
            guard let handle = tg_jpeg_open(data.baseAddress, data.count, &info, &status) else {
                return .failure(codecError(status, path: path))
            }
            defer { tg_jpeg_close(handle) }
            let width = Int(info.width), height = Int(info.height)
            do throws(ImageError) {
                try checkSize(width: width, height: height, path: path)
            } catch {
                return .failure(error)
            }
            if info.precision != 8 {
                return .failure(ImageError(.unsupportedFormat, path: path,
                                           detail: "\(info.precision)-bit JPEG samples are not supported"))
            }
            let source = SourceInfo(format: .jpeg, width: width, height: height,
                                    mode: Self.jpegMode(info), details: Self.jpegDetails(info))
            let count = width * height * 3
            var code: Int32 = 0
            let pixels = [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
                code = tg_jpeg_decode_rgb(handle, buffer.baseAddress, count, &status)
                initialized = code == 0 ? count : 0
            }
            if code != 0 { return .failure(codecError(status, path: path)) }
            return .success(DecodedImage(image: RGBImage(width: width, height: height, pixels: pixels), source: source))
        }
        return try result.get()
    }

    /// The Pillow mode of a JPEG: L, RGB or CMYK (by component count).
    static func jpegMode(_ info: tg_jpeg_info) -> String {
        switch info.components {
        case 1: return "L"
        case 3: return "RGB"
        case 4: return "CMYK"
        default: return "\(info.components) components"
        }
    }

    static func jpegDetails(_ info: tg_jpeg_info) -> [String] {
        var details: [String] = [info.progressive != 0 ? "progressive" : "baseline"]
        if info.color_space == Int32(TG_JPEG_YCCK) { details.append("YCCK") }
        if info.saw_adobe != 0 { details.append("Adobe") }
        return details
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
