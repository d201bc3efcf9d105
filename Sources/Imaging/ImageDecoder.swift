import TagoodSupport

#if canImport(Glibc)
import Glibc
#endif

/// Decodes JPEG and PNG files to 8-bit RGB exactly as Pillow's `Image.open(p).convert("RGB")` does.
///
/// The format is recognised from the content, never from the file name. Headers are read first,
/// so an image above ``maxPixels`` is refused before its pixels are allocated or decoded.
public struct ImageDecoder: Sendable {
    /// Pillow's `Image.MAX_IMAGE_PIXELS`: 1024 * 1024 * 1024 / 4 / 3.
    public static let defaultMaxPixels = 89_478_485

    /// Images with more pixels than this (width × height) are refused with `image.too-large`.
    public var maxPixels: Int

    /// The most bytes read from one image file: 1 GiB, above any JPEG or PNG of ``defaultMaxPixels``
    /// that a camera or an encoder writes (an uncompressed 16-bit RGBA PNG of that size is 716 MB).
    public static let defaultMaxFileBytes = 1 << 30

    /// Image files larger than this (or that grow past it while read) are refused with `image.too-large`.
    public var maxFileBytes: Int

    /// Makes a decoder with a pixel limit and a file-size limit.
    public init(maxPixels: Int = ImageDecoder.defaultMaxPixels, maxFileBytes: Int = ImageDecoder.defaultMaxFileBytes) {
        self.maxPixels = maxPixels
        self.maxFileBytes = maxFileBytes
    }

    /// Reads and decodes the file at `path`, which must be a regular file.
    ///
    /// A FIFO, a device (a link to `/dev/zero`), a socket or a folder is refused with `image.unreadable`
    /// without blocking (``FileBytes/readRegular(_:limit:)``), and at most ``maxFileBytes`` are read.
    public func decode(file path: String) throws(ImageError) -> DecodedImage {
        let bytes: [UInt8]
        do {
            bytes = try FileBytes.readRegular(path, limit: maxFileBytes)
        } catch {
            switch error.operation {
            case .notRegular:
                throw ImageError(
                    .unreadable, path: path,
                    detail: "it is \(error.detail ?? "not a regular file"), not a regular file; "
                        + "images are read from regular files only")
            case .tooLarge:
                throw ImageError(.tooLarge, path: path, detail: "\(error.detail ?? "") (the image file-size limit)")
            default:
                throw ImageError(.unreadable, path: path, detail: String(cString: strerror(error.errno)))
            }
        }
        return try decode(bytes, path: path)
    }

    /// Decodes an in-memory file; `path` is only used in error messages.
    public func decode(_ bytes: [UInt8], path: String) throws(ImageError) -> DecodedImage {
        if bytes.isEmpty { throw ImageError(.empty, path: path, detail: "") }
        let format = ImageFormat.sniff(bytes)
        switch format {
        case .jpeg: return try decodeJPEG(bytes, path: path)
        case .png: return try decodePNG(bytes, path: path)
        case .text:
            throw ImageError(.unsupportedFormat, path: path, detail: "the file holds text, not an image")
        case .unknown:
            let head = bytes.prefix(8).map { hex($0) }.joined(separator: " ")
            throw ImageError(.unsupportedFormat, path: path, detail: "unrecognised content starting with \(head)")
        case .gif, .bmp, .webp, .tiff:
            throw ImageError(
                .unsupportedFormat, path: path, detail: "\(format) files are not supported; convert it to PNG or JPEG")
        }
    }

    /// Refuses a header whose size is zero or above ``maxPixels``.
    func checkSize(width: Int, height: Int, path: String) throws(ImageError) {
        if width <= 0 || height <= 0 {
            throw ImageError(.corrupt, path: path, detail: "the header gives an empty size \(width)x\(height)")
        }
        let pixels = width.multipliedReportingOverflow(by: height)
        if pixels.overflow || pixels.partialValue > maxPixels {
            throw ImageError(
                .tooLarge, path: path,
                detail: "\(width)x\(height) is more than the limit of \(maxPixels) pixels (--max-pixels)")
        }
    }

    private func hex(_ byte: UInt8) -> String {
        let digits = Array("0123456789abcdef")
        return String([digits[Int(byte >> 4)], digits[Int(byte & 15)]])
    }
}

extension ImageError.Kind {
    /// The kind for a CImageCodecs status code.
    init(codecStatus code: Int32) {
        switch code {
        case 2: self = .truncated // TG_ERR_TRUNCATED
        case 3: self = .unsupportedFormat // TG_ERR_UNSUPPORTED
        case 4: self = .outOfMemory // TG_ERR_NO_MEMORY
        default: self = .corrupt
        }
    }
}
