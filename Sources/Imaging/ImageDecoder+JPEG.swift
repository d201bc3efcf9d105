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
            return decodeOpened(width: Int(info.width), height: Int(info.height), path: path) { () throws(ImageError) in
                guard info.precision == 8 else {
                    throw ImageError(
                        .unsupportedFormat, path: path,
                        detail: "\(info.precision)-bit JPEG samples are not supported")
                }
                return SourceInfo(
                    format: .jpeg, width: Int(info.width), height: Int(info.height),
                    mode: Self.jpegMode(info), details: Self.jpegDetails(info))
            } readRGB: {
                tg_jpeg_decode_rgb(handle, $0, $1, &$2)
            }
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
