import TagoodSupport

/// Why tag data or a selection input was rejected. Each message names the file and line.
public typealias ExtractError = CodedError<ExtractErrorKind>

/// The kinds of ``ExtractError`` (codes `extract.<raw value>`): a file that cannot be read, a tag list or
/// class → tag map that is malformed or names an unknown tag, a selection input that does not fit.
public enum ExtractErrorKind: String, ErrorKind {
    public static let domain = "extract"
    case unreadable, badTagList = "bad-tag-list", badClassMap = "bad-class-map", unknownTag = "unknown-tag", badInput =
        "bad-input"
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
        return text.split(separator: "\n", omittingEmptySubsequences: false).map {
            $0.hasSuffix("\r") ? $0.dropLast() : $0
        }
    }
}
