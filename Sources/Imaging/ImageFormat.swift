/// The container format of an image file, recognised by its first bytes (never by its name).
public enum ImageFormat: String, Sendable, Equatable, CustomStringConvertible {
    case jpeg = "JPEG"
    case png = "PNG"
    case gif = "GIF"
    case bmp = "BMP"
    case webp = "WebP"
    case tiff = "TIFF"
    /// Printable text, such as an HTML error page saved under an image name.
    case text = "text"
    /// Nothing recognised.
    case unknown = "unknown"

    /// Whether ``ImageDecoder`` decodes this format.
    public var isDecodable: Bool { self == .jpeg || self == .png }

    /// The format's name, as Pillow's `Image.format` spells it for the image formats.
    public var description: String { rawValue }

    /// Recognises the format from the magic bytes at the start of `bytes`.
    public static func sniff<C: Collection>(_ bytes: C) -> ImageFormat where C.Element == UInt8, C.Index == Int {
        let b = bytes
        let n = b.count
        let s = b.startIndex
        func starts(_ magic: [UInt8], at offset: Int = 0) -> Bool {
            guard n >= offset + magic.count else { return false }
            for (i, m) in magic.enumerated() where b[s + offset + i] != m { return false }
            return true
        }
        if starts([0xFF, 0xD8, 0xFF]) { return .jpeg }
        if starts([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return .png }
        if starts(Array("GIF87a".utf8)) || starts(Array("GIF89a".utf8)) { return .gif }
        if starts(Array("RIFF".utf8)) && starts(Array("WEBP".utf8), at: 8) { return .webp }
        if starts([0x49, 0x49, 0x2A, 0x00]) || starts([0x4D, 0x4D, 0x00, 0x2A]) { return .tiff }
        if starts(Array("BM".utf8)) && n >= 26 { return .bmp }
        if n > 0 && looksLikeText(b) { return .text }
        return .unknown
    }

    /// True when the first 512 bytes are printable ASCII, whitespace or UTF-8 continuation bytes.
    private static func looksLikeText<C: Collection>(_ bytes: C) -> Bool where C.Element == UInt8, C.Index == Int {
        for byte in bytes.prefix(512) {
            switch byte {
            case 0x09, 0x0A, 0x0D, 0x0C, 0x20...0x7E, 0x80...0xFD: continue
            default: return false
            }
        }
        return true
    }
}
