import TagoodSupport

/// Why an image could not be read, transformed or written. The description names the file.
public struct ImageError: TagoodError, Equatable {
    /// The kind of failure; its raw value is the suffix of ``code``.
    public enum Kind: String, Sendable, Equatable {
        /// The file has zero bytes.
        case empty
        /// The data ends before the image does.
        case truncated
        /// The data is malformed.
        case corrupt
        /// Not a JPEG or PNG (GIF, BMP, WebP, TIFF, text, unknown), or a variant the decoder does not handle.
        case unsupportedFormat = "unsupported-format"
        /// The header claims more pixels than the configured limit.
        case tooLarge = "too-large"
        /// The file cannot be opened or read (missing, no permission), or is not a regular file (a FIFO, a
        /// device, a folder), which is refused rather than read.
        case unreadable
        /// Memory for the pixels could not be allocated.
        case outOfMemory = "out-of-memory"
        /// An output file (PNG) could not be encoded or written.
        case unwritable
    }

    /// The kind of failure.
    public let kind: Kind
    /// The file involved (or a caller-chosen label for in-memory data).
    public let path: String
    /// The specific reason, for example the decoder's message.
    public let detail: String

    /// Makes an error about `path`.
    public init(_ kind: Kind, path: String, detail: String) {
        self.kind = kind
        self.path = path
        self.detail = detail
    }

    /// `image.<kind>`, for example `image.truncated`.
    public var code: String { "image.\(kind.rawValue)" }

    /// The image file.
    public var subject: String? { path }

    /// One line: the file, what is wrong, and the decoder's own words.
    public var description: String {
        let what: String
        switch kind {
        case .empty: what = "is empty (0 bytes)"
        case .truncated: what = "is truncated"
        case .corrupt: what = "is corrupt"
        case .unsupportedFormat: what = "is not in a supported image format (JPEG or PNG)"
        case .tooLarge: what = "is too large"
        case .unreadable: what = "cannot be read"
        case .outOfMemory: what = "cannot be decoded: out of memory"
        case .unwritable: what = "cannot be written"
        }
        let name = FileName.display(path)
        return detail.isEmpty ? "image \(name) \(what)" : "image \(name) \(what): \(detail)"
    }
}
