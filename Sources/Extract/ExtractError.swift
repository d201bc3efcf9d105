import TagoodSupport

/// Why tag data or a selection input was rejected. Each message names the file and line.
public struct ExtractError: TagoodError {
    public enum Kind: String, Sendable {
        case unreadable = "extract.unreadable"
        case badTagList = "extract.bad-tag-list"
        case badClassMap = "extract.bad-class-map"
        case unknownTag = "extract.unknown-tag"
        case badInput = "extract.bad-input"
    }

    public let kind: Kind
    public let message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var code: String { kind.rawValue }
    public var description: String { message }
}

extension ExtractError {
    /// Reads a text file's lines (a final line without a newline counts; `\r\n` is accepted).
    static func lines(of path: String, what: String) throws(ExtractError) -> [Substring] {
        let bytes: [UInt8]
        do {
            bytes = try FileBytes.read(path)
        } catch {
            throw ExtractError(.unreadable, "cannot read the \(what) \(path): \(error)")
        }
        var text = Substring(String(decoding: bytes, as: UTF8.self))
        if text.hasSuffix("\n") { text = text.dropLast() }
        return text.split(separator: "\n", omittingEmptySubsequences: false).map { $0.hasSuffix("\r") ? $0.dropLast() : $0 }
    }
}
