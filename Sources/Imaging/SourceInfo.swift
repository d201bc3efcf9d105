/// What an image file was before it was converted to ``RGBImage``.
public struct SourceInfo: Sendable, Equatable, CustomStringConvertible {
    /// The container format, from the magic bytes.
    public var format: ImageFormat
    /// Width in pixels, from the header.
    public var width: Int
    /// Height in pixels, from the header.
    public var height: Int
    /// The mode Pillow would open the file in: `RGB`, `L`, `CMYK`, `P`, `RGBA`, `LA`, `I;16`, `1`.
    public var mode: String
    /// Format details worth showing, such as `progressive` or `interlaced` (may be empty).
    public var details: [String]

    /// Makes a description of a source image.
    public init(format: ImageFormat, width: Int, height: Int, mode: String, details: [String] = []) {
        self.format = format
        self.width = width
        self.height = height
        self.mode = mode
        self.details = details
    }

    /// For example `JPEG 500x375 RGB (progressive)`.
    public var description: String {
        let extra = details.isEmpty ? "" : " (\(details.joined(separator: ", ")))"
        return "\(format) \(width)x\(height) \(mode)\(extra)"
    }
}
