/// Lossless text for file names that are not valid UTF-8.
///
/// Linux names are bytes; a dataset copied from an old Latin-1 file server can hold `caf\xe9.jpg`.
/// `String(cString:)` would turn that byte into U+FFFD, and the image could never be opened again.
/// tagood keeps names as `String`s with an escape instead, the same idea as Python's
/// `os.fsdecode` (`surrogateescape`), moved to code points a Swift `String` can hold:
///
/// - every byte `b` (0x80–0xFF) that is not part of a valid UTF-8 sequence becomes the code point
///   U+10FF00 + b (U+10FF80…U+10FFFF, private use, plane 16);
/// - a name that really contains one of those code points has each of its four bytes escaped the same
///   way, so the mapping is injective and ``bytes(_:)`` always gives back the original bytes.
///
/// Names that are valid UTF-8 (all but a handful in practice) are unchanged. Everything that meets
/// the operating system (`open`, `stat`, `opendir`) goes through ``withCString(_:_:)``; shards store the
/// original bytes (see the `paths` dataset in docs/DESIGN.md), and ``display(_:)`` shows escapes as
/// `\xNN` in messages and reports.
public enum FileName {
    /// The code point of escaped byte 0x00; escapes use 0x10FF80…0x10FFFF.
    static let escapeBase: UInt32 = 0x10FF00

    /// The name for `bytes`, escaping what is not UTF-8.
    public static func decode<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> String {
        if !bytes.contains(where: { $0 >= 0x80 }) { return String(decoding: bytes, as: UTF8.self) }
        let raw = Array(bytes)
        var scalars = String.UnicodeScalarView()
        var i = 0
        while i < raw.count {
            if let (scalar, length) = scalar(in: raw, at: i), !isEscape(scalar.value) {
                scalars.append(scalar)
                i += length
            } else {
                scalars.append(Unicode.Scalar(escapeBase + UInt32(raw[i]))!)
                i += 1
            }
        }
        return String(scalars)
    }

    /// The name for `bytes` (the same as the generic form, with the all-ASCII check specialised: the tar
    /// indexer decodes a path per member).
    public static func decode(_ bytes: [UInt8]) -> String {
        let ascii = bytes.withUnsafeBufferPointer { buffer in !buffer.contains { $0 >= 0x80 } }
        return ascii ? String(decoding: bytes, as: UTF8.self) : decode(bytes[...])
    }

    /// The original bytes of `name` (its UTF-8 when it holds no escape).
    public static func bytes(_ name: String) -> [UInt8] {
        guard hasEscape(name) else { return Array(name.utf8) }
        var out: [UInt8] = []
        out.reserveCapacity(name.utf8.count)
        for scalar in name.unicodeScalars {
            if isEscape(scalar.value) {
                out.append(UInt8(scalar.value - escapeBase))
            } else {
                out.append(contentsOf: String(scalar).utf8)
            }
        }
        return out
    }

    /// Calls `body` with the NUL-terminated original bytes of `name`, for a system call.
    public static func withCString<Result>(
        _ name: String, _ body: (UnsafePointer<CChar>) throws -> Result
    ) rethrows -> Result {
        guard hasEscape(name) else { return try name.withCString(body) }
        var raw = bytes(name)
        raw.append(0)
        return try raw.withUnsafeBufferPointer { buffer in
            try buffer.withMemoryRebound(to: CChar.self) { try body($0.baseAddress!) }
        }
    }

    /// `name` for people: each escaped byte as `\xNN` (`caf\xe9.jpg`).
    public static func display(_ name: String) -> String {
        guard hasEscape(name) else { return name }
        var out = ""
        for scalar in name.unicodeScalars {
            if isEscape(scalar.value) {
                let byte = scalar.value - escapeBase
                out += "\\x" + (byte < 16 ? "0" : "") + String(byte, radix: 16)
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// Whether `name` holds an escaped byte (was not valid UTF-8 on disk).
    public static func hasEscape(_ name: String) -> Bool {
        // Every escape is encoded as F4 8F BE/BF xx; a name without 0xF4 has none.
        guard name.utf8.contains(0xF4) else { return false }
        return name.unicodeScalars.contains { isEscape($0.value) }
    }

    static func isEscape(_ value: UInt32) -> Bool { value >= escapeBase + 0x80 && value <= escapeBase + 0xFF }

    /// The strict UTF-8 scalar at `i` and its length, or nil when the bytes there are not one
    /// (overlong forms, surrogates, values past U+10FFFF and truncated sequences are not).
    static func scalar(in raw: [UInt8], at i: Int) -> (Unicode.Scalar, Int)? {
        let lead = raw[i]
        let length: Int, minimum: UInt32
        var value: UInt32
        switch lead {
        case 0x00...0x7F: return (Unicode.Scalar(lead), 1)
        case 0xC2...0xDF: length = 2; minimum = 0x80; value = UInt32(lead & 0x1F)
        case 0xE0...0xEF: length = 3; minimum = 0x800; value = UInt32(lead & 0x0F)
        case 0xF0...0xF4: length = 4; minimum = 0x10000; value = UInt32(lead & 0x07)
        default: return nil
        }
        guard i + length <= raw.count else { return nil }
        for k in 1..<length {
            let next = raw[i + k]
            guard next & 0xC0 == 0x80 else { return nil }
            value = value << 6 | UInt32(next & 0x3F)
        }
        guard value >= minimum, let scalar = Unicode.Scalar(value) else { return nil } // nil: surrogate or > U+10FFFF
        return (scalar, length)
    }
}
