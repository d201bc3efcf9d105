/// The per-image outcome stored in the `status` dataset (`uint8`): 0 is ok, anything else is why the image
/// has no tokens. Unknown codes (from a newer writer) are kept as they are.
public struct ImageStatus: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The stored code.
    public let rawValue: UInt8

    /// Wraps a stored code.
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// The image was processed and its tokens written.
    public static let ok = ImageStatus(rawValue: 0)
    /// The file does not exist or cannot be read.
    public static let unreadable = ImageStatus(rawValue: 1)
    /// The bytes are not a decodable image (corrupt, truncated, unsupported format).
    public static let decodeFailed = ImageStatus(rawValue: 2)
    /// Decoding worked but preprocessing did not (such as an empty image).
    public static let preprocessFailed = ImageStatus(rawValue: 3)
    /// The model or the token selection failed on this image.
    public static let inferenceFailed = ImageStatus(rawValue: 4)
    /// Any other failure.
    public static let other = ImageStatus(rawValue: 255)

    /// Whether this is ``ok``.
    public var isOK: Bool { rawValue == 0 }

    /// A short name: `ok`, `unreadable`, `decode-failed`, `preprocess-failed`, `inference-failed`,
    /// `other`, or `status-<n>` for codes this version does not know.
    public var description: String {
        switch rawValue {
        case 0: return "ok"
        case 1: return "unreadable"
        case 2: return "decode-failed"
        case 3: return "preprocess-failed"
        case 4: return "inference-failed"
        case 255: return "other"
        default: return "status-\(rawValue)"
        }
    }
}
