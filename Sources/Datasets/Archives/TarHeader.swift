/// One 512-byte tar header block, as POSIX ustar, GNU and old v7 tar write it.
///
/// Only what indexing needs is decoded: the name (ustar's `prefix` + `name`), the size (octal, or GNU's
/// base-256 for members of 8 GiB and more), the type flag, and the checksum, which every block is checked
/// against (the unsigned sum, or the signed one some old tars wrote).
struct TarHeader {
    /// The size of a tar block.
    static let blockSize = 512

    /// A member's kind, from its type flag.
    enum Kind: Equatable {
        /// `0`, NUL, `7` (contiguous) and every flag POSIX leaves undefined: data follows, as Python's
        /// `tarfile` and GNU tar read them.
        case regular
        /// `5`, or an old-style regular member whose name ends with `/`.
        case directory
        /// `1`, `2`, `3`, `4`, `6`: links, devices and FIFOs; no data follows.
        case special
        /// `L` / `K`: the next member's long name / link name (GNU).
        case gnuLongName, gnuLongLink
        /// `x` / `g`: a pax extended header for the next member / for the rest of the archive.
        case paxLocal, paxGlobal
        /// `S` (GNU sparse) and `M` (GNU multi-volume continuation): data that is not one contiguous run.
        case unsupported(Character)
    }

    /// The raw name: ustar's `prefix/name`, or the `name` field alone.
    var name: [UInt8]
    var size: UInt64
    var kind: Kind

    /// Decodes the block at `block` (512 bytes). Returns nil for an all-zero block (the end of the
    /// archive); throws a reason (no file names: the caller adds them) when the block is not a valid header.
    static func decode(_ block: UnsafeRawBufferPointer) throws(TarHeaderProblem) -> TarHeader? {
        precondition(block.count >= blockSize)
        if isZero(block) { return nil }
        guard let stored = octal(block, 148, 8) else {
            throw TarHeaderProblem("its checksum field is not a number: this is not a tar header")
        }
        var unsigned: UInt64 = 0
        var signed: Int64 = 0
        for i in 0..<blockSize {
            let byte = (148..<156).contains(i) ? UInt8(ascii: " ") : block[i]
            unsigned &+= UInt64(byte)
            signed &+= Int64(Int8(bitPattern: byte))
        }
        guard stored == unsigned || Int64(bitPattern: stored) == signed else {
            throw TarHeaderProblem("its checksum does not match (stored \(stored), computed \(unsigned))")
        }
        guard let size = number(block, 124, 12) else {
            throw TarHeaderProblem("its size field is not a number")
        }
        var name = field(block, 0, 100)
        let isUstar =
            block[257] == UInt8(ascii: "u") && block[258] == UInt8(ascii: "s") && block[262] == 0
            && block[259] == UInt8(ascii: "t") && block[260] == UInt8(ascii: "a") && block[261] == UInt8(ascii: "r")
        if isUstar { // POSIX ustar: prefix (GNU's own magic "ustar  " keeps other fields there)
            let prefix = field(block, 345, 155)
            if !prefix.isEmpty { name = prefix + [UInt8(ascii: "/")] + name }
        }
        let flag = block[156]
        let kind: Kind
        switch flag {
        case 0, UInt8(ascii: "0"), UInt8(ascii: "7"):
            kind = name.last == UInt8(ascii: "/") ? .directory : .regular
        case UInt8(ascii: "5"): kind = .directory
        case UInt8(ascii: "1"), UInt8(ascii: "2"), UInt8(ascii: "3"), UInt8(ascii: "4"), UInt8(ascii: "6"):
            kind = .special
        case UInt8(ascii: "L"): kind = .gnuLongName
        case UInt8(ascii: "K"): kind = .gnuLongLink
        case UInt8(ascii: "x"): kind = .paxLocal
        case UInt8(ascii: "g"): kind = .paxGlobal
        case UInt8(ascii: "S"), UInt8(ascii: "M"): kind = .unsupported(Character(Unicode.Scalar(flag)))
        default: kind = .regular
        }
        return TarHeader(name: name, size: size, kind: kind)
    }

    /// Whether the kind's data follows the header (and so must be skipped to reach the next one).
    var hasData: Bool {
        switch kind {
        case .regular, .gnuLongName, .gnuLongLink, .paxLocal, .paxGlobal, .unsupported: true
        case .directory, .special: false
        }
    }

    /// The bytes the data takes in the archive: the size rounded up to whole blocks.
    static func paddedSize(_ size: UInt64) -> UInt64 { (size + 511) & ~511 }

    private static func isZero(_ block: UnsafeRawBufferPointer) -> Bool {
        block.load(fromByteOffset: 0, as: UInt64.self) == 0 && !block.prefix(blockSize).contains { $0 != 0 }
    }

    /// A NUL-terminated text field.
    private static func field(_ block: UnsafeRawBufferPointer, _ at: Int, _ length: Int) -> [UInt8] {
        var bytes: [UInt8] = []
        for i in at..<(at + length) {
            if block[i] == 0 { break }
            bytes.append(block[i])
        }
        return bytes
    }

    /// An octal number field (leading spaces, then digits up to a space or NUL), or GNU's base-256.
    static func number(_ block: UnsafeRawBufferPointer, _ at: Int, _ length: Int) -> UInt64? {
        if block[at] & 0x80 != 0 { // base-256, big-endian, the first byte's top bit a marker
            guard block[at] == 0x80 else { return nil } // negative, or more than 64 bits
            var value: UInt64 = 0
            for i in (at + 1)..<(at + length) {
                guard value >> 56 == 0 else { return nil }
                value = value << 8 | UInt64(block[i])
            }
            return value
        }
        return octal(block, at, length)
    }

    private static func octal(_ block: UnsafeRawBufferPointer, _ at: Int, _ length: Int) -> UInt64? {
        var i = at
        let end = at + length
        while i < end, block[i] == UInt8(ascii: " ") { i += 1 }
        var value: UInt64 = 0
        var digits = 0
        while i < end, block[i] >= UInt8(ascii: "0"), block[i] <= UInt8(ascii: "7") {
            value = value << 3 | UInt64(block[i] - UInt8(ascii: "0"))
            digits += 1
            i += 1
        }
        guard digits > 0 || i == end || block[i] == 0 else { return nil }
        while i < end { // only terminators may follow
            guard block[i] == 0 || block[i] == UInt8(ascii: " ") else { return nil }
            i += 1
        }
        return value
    }
}

/// Why a block is not a valid tar header (the walker names the tar and the offset).
struct TarHeaderProblem: Error {
    var reason: String
    init(_ reason: String) { self.reason = reason }
}
