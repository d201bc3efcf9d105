/// Text that a peer sent (a worker id, a `failed` message, a routing id), made safe to show: every
/// control character is escaped, so no newline can forge a log line and no escape sequence reaches a
/// terminal, and the length is bounded, so no peer string grows a journal line or a log without limit.
public enum PeerText {
    /// `text` with each control character (C0, DEL, C1, the line and paragraph separators and the
    /// bidirectional overrides) written as `\u{…}`, cut to at most `limit` UTF-8 bytes of its own (a cut
    /// says how many bytes it dropped).
    public static func clean(_ text: String, limit: Int) -> String {
        var out = ""
        var used = 0
        for scalar in text.unicodeScalars {
            let piece = isControl(scalar) ? "\\u{\(String(scalar.value, radix: 16))}" : String(scalar)
            if used + piece.utf8.count > limit {
                return out + "…(\(text.utf8.count - used) more bytes cut)"
            }
            out += piece
            used += piece.utf8.count
        }
        return out
    }

    /// Raw bytes (a ZeroMQ routing id) as ``clean(_:limit:)`` text; bytes that are not UTF-8 become U+FFFD.
    public static func clean(_ bytes: [UInt8], limit: Int) -> String {
        clean(String(decoding: bytes, as: UTF8.self), limit: limit)
    }

    /// Whether `text` has no control character (``clean(_:limit:)`` would escape nothing).
    public static func isPrintable(_ text: String) -> Bool { !text.unicodeScalars.contains(where: isControl) }

    private static func isControl(_ s: Unicode.Scalar) -> Bool {
        switch s.value {
        case 0..<0x20, 0x7F...0x9F, 0x2028, 0x2029, 0x202A...0x202E, 0x2066...0x2069: true
        default: false
        }
    }
}
