import TagoodSupport

/// One member of a tar, as its headers describe it.
struct TarEntry {
    /// The member's name as stored (a pax `path` or GNU long name when there is one), not normalised.
    var name: [UInt8]
    var kind: TarHeader.Kind
    /// Where its data starts in the file, and how many bytes it has.
    var dataOffset: UInt64
    var size: UInt64
}

/// Walks the members of a tar, or of a tar stored inside another one (a byte range of the same file),
/// in order: GNU long names (`L`), pax extended headers (`x`, `path` and `size`), ustar's prefix.
///
/// It stops at the end-of-archive marker (a zero block) and refuses, with where and after which member,
/// everything else: a header whose checksum is wrong, an archive that ends without its marker, a member
/// whose data runs past the end, sparse or multi-volume members (their data is not one run of bytes).
struct TarWalker {
    let reader: TarFileReader
    /// The archive's byte range in the file.
    let start: UInt64
    let end: UInt64
    private var offset: UInt64
    private var previous: [UInt8]?

    init(reader: TarFileReader, start: UInt64 = 0, end: UInt64? = nil) {
        self.reader = reader
        self.start = start
        self.end = end ?? reader.size
        offset = start
    }

    /// Why the walk stopped: the reason, and where (relative to the archive's start).
    struct Problem: Error {
        var reason: String
    }

    /// The next member, or nil at the end-of-archive marker.
    mutating func next() throws(DatasetError) -> TarEntry? {
        var longName: [UInt8]?
        var paxPath: [UInt8]?
        var paxSize: UInt64?
        while true {
            guard offset + UInt64(TarHeader.blockSize) <= end else {
                throw problem(
                    offset == end
                        ? "it ends at byte \(end - start) without the end-of-archive marker (two zero blocks): it is truncated"
                        : "it ends at byte \(end - start), inside a header: it is truncated")
            }
            let block = try reader.read(at: offset, count: TarHeader.blockSize)
            guard block.count == TarHeader.blockSize else {
                throw problem("the file ends at byte \(reader.size), inside a header: it is truncated")
            }
            let decoded = block.withUnsafeBytes { raw in
                Result { () throws(TarHeaderProblem) in try TarHeader.decode(raw) }
            }
            let header: TarHeader
            switch decoded {
            case .failure(let why): throw problem("the header at byte \(offset - start) is damaged: \(why.reason)")
            case .success(nil): return nil
            case .success(let h?): header = h
            }
            let dataOffset = offset + UInt64(TarHeader.blockSize)
            let name = paxPath ?? longName ?? header.name
            let size = header.kind == .regular ? (paxSize ?? header.size) : header.size
            if header.hasData {
                guard size <= end - dataOffset else {
                    throw problem(
                        "member '\(FileName.display(FileName.decode(name)))' needs \(size) bytes of data from byte "
                            + "\(dataOffset - start), but the archive ends at byte \(end - start): it is truncated")
                }
            }
            offset = header.hasData ? dataOffset + TarHeader.paddedSize(size) : dataOffset
            switch header.kind {
            case .gnuLongName:
                longName = try extendedData(at: dataOffset, size: size, what: "GNU long name").prefix { $0 != 0 }
            case .gnuLongLink:
                continue
            case .paxLocal, .paxGlobal:
                let records = PaxRecords.parse(try extendedData(at: dataOffset, size: size, what: "pax header"))
                guard let records else {
                    throw problem("the pax header at byte \(dataOffset - start - 512) is malformed")
                }
                if records.sparse {
                    throw problem(
                        "member after byte \(dataOffset - start) is a GNU sparse file (pax GNU.sparse): its data is not "
                            + "one run of bytes; repack the tar without --sparse")
                }
                if header.kind == .paxLocal {
                    if let path = records.path { paxPath = path }
                    if let size = records.size { paxSize = size }
                }
            case .unsupported(let flag):
                throw problem(
                    "member '\(FileName.display(FileName.decode(name)))' has type '\(flag)' (GNU sparse or "
                        + "multi-volume): its data is not one run of bytes; repack the tar without --sparse or -M")
            case .regular, .directory, .special:
                previous = name
                return TarEntry(name: name, kind: header.kind, dataOffset: dataOffset, size: size)
            }
        }
    }

    /// The data of a GNU long name or a pax header (bounded: these are names, not files).
    private func extendedData(at offset: UInt64, size: UInt64, what: String) throws(DatasetError) -> [UInt8] {
        guard size <= 1 << 20 else {
            throw problem("the \(what) at byte \(offset - start - 512) claims \(size) bytes: the tar is damaged")
        }
        return Array(try reader.read(at: offset, count: Int(size)))
    }

    /// A walk error; ``ArchiveScanner`` adds which tar (and inner tar) it is.
    private func problem(_ reason: String) -> DatasetError {
        let after = previous.map { " (after member '\(FileName.display(FileName.decode($0)))')" } ?? ""
        return DatasetError(.badArchive, reason + after)
    }
}

/// The records of a pax extended header (`"<length> <key>=<value>\n"`) that indexing uses.
enum PaxRecords {
    struct Values {
        var path: [UInt8]?
        var size: UInt64?
        var sparse = false
    }

    /// The `path` and `size` records and whether any `GNU.sparse.` record is present; nil when malformed.
    static func parse(_ data: [UInt8]) -> Values? {
        var values = Values()
        var i = 0
        while i < data.count {
            if data[i] == 0 { break } // padding
            var length = 0
            var j = i
            while j < data.count, data[j] >= UInt8(ascii: "0"), data[j] <= UInt8(ascii: "9"), length < 1 << 24 {
                length = length * 10 + Int(data[j] - UInt8(ascii: "0"))
                j += 1
            }
            guard j < data.count, data[j] == UInt8(ascii: " "), length > j - i + 1, i + length <= data.count,
                data[i + length - 1] == UInt8(ascii: "\n")
            else { return nil }
            let record = data[(j + 1)..<(i + length - 1)]
            guard let equals = record.firstIndex(of: UInt8(ascii: "=")) else { return nil }
            let key = record[record.startIndex..<equals]
            let value = record[(equals + 1)...]
            if key.elementsEqual("path".utf8) {
                values.path = Array(value)
            } else if key.elementsEqual("size".utf8) {
                guard let size = UInt64(String(decoding: value, as: UTF8.self)) else { return nil }
                values.size = size
            } else if key.starts(with: "GNU.sparse.".utf8) {
                values.sparse = true
            }
            i += length
        }
        return values
    }
}
