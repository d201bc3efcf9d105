import TagoodSupport

/// A file member of a tar, with its name made a plain relative path.
struct ArchiveMember {
    /// The path inside the tar, `/`-separated, with an inner tar's name in front of its members'
    /// (`n01440764.tar/n01440764_10026.JPEG`).
    var name: [UInt8]
    /// Where its data lies in the tar file, and its size.
    var offset: UInt64
    var size: UInt64
    /// The inner tar it came from (its name in the outer tar), if any.
    var innerTar: [UInt8]?
}

/// The file members of one tar in archive order, inner tars followed one level when asked; what was
/// not taken is counted: hidden members (a component starting with `.`, as ImageFolder skips them) and
/// links, devices and FIFOs.
struct ArchiveMembers {
    var files: [ArchiveMember] = []
    var hidden = 0
    /// The names of the links, devices and FIFOs (not planned; a name a file also has is a duplicate).
    var specials: [[UInt8]] = []
    var special: Int { specials.count }

    /// Opens the tar at `path` and reads its members; also gives the reader (for `.cls` labels) and the
    /// tar as the index records it (its size and mtime when opened).
    static func read(
        _ path: String, followInnerTars: Bool
    ) throws(DatasetError) -> (reader: TarFileReader, tar: ArchiveIndex.Tar, members: ArchiveMembers) {
        let reader = try TarFileReader(path: path)
        let members = try ArchiveMembers(reader: reader, tar: path, followInnerTars: followInnerTars)
        return (reader, ArchiveIndex.Tar(path: path, size: reader.size, modified: reader.modified), members)
    }

    /// Reads every header of the tar `reader` (named `tar` in messages).
    init(reader: TarFileReader, tar: String, followInnerTars: Bool) throws(DatasetError) {
        var walker = TarWalker(reader: reader)
        while let entry = try Self.step(&walker, tar: tar, inner: nil) {
            guard let name = try Self.normalized(entry.name, tar: tar) else { continue }
            if Self.isHidden(name) {
                hidden += 1
                continue
            }
            switch entry.kind {
            case .directory: continue
            case .special:
                specials.append(name)
                continue
            default: break
            }
            if followInnerTars && Self.isTarName(name) {
                var inner = TarWalker(reader: reader, start: entry.dataOffset, end: entry.dataOffset + entry.size)
                while let e = try Self.step(&inner, tar: tar, inner: name) {
                    guard let member = try Self.normalized(e.name, tar: tar), e.kind != .directory else { continue }
                    if Self.isHidden(member) {
                        hidden += 1
                    } else if e.kind == .special {
                        specials.append(name + [UInt8(ascii: "/")] + member)
                    } else {
                        files.append(
                            ArchiveMember(
                                name: name + [UInt8(ascii: "/")] + member, offset: e.dataOffset, size: e.size,
                                innerTar: name))
                    }
                }
            } else {
                files.append(ArchiveMember(name: name, offset: entry.dataOffset, size: entry.size, innerTar: nil))
            }
        }
    }

    /// The next entry, with the tar (and inner tar) named in a walk error.
    private static func step(
        _ walker: inout TarWalker, tar: String, inner: [UInt8]?
    ) throws(DatasetError) -> TarEntry? {
        do { return try walker.next() } catch {
            let which =
                inner.map {
                    "tar \(FileName.display(tar)): inner tar \(FileName.display(FileName.decode($0))) is damaged: "
                }
                ?? "tar \(FileName.display(tar)) is damaged: "
            throw DatasetError(
                error.kind, which + error.message, subject: tar,
                remedy: "copy or download the tar again (GNU tar's `tar -tvf` shows the same problem)")
        }
    }

    /// `./a//b/` → `a/b`; a leading `/` is dropped, as GNU tar does. A name with a `..` component is
    /// refused: it does not name a place inside the dataset. Nil for the archive's own folder (`./`).
    static func normalized(_ raw: [UInt8], tar: String) throws(DatasetError) -> [UInt8]? {
        if isPlain(raw) { return raw }
        var parts: [ArraySlice<UInt8>] = []
        for part in raw.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: true) {
            if part.elementsEqual([UInt8(ascii: ".")]) { continue }
            if part.elementsEqual([UInt8(ascii: "."), UInt8(ascii: ".")]) {
                throw DatasetError(
                    .badArchive,
                    "tar \(FileName.display(tar)): member '\(FileName.display(FileName.decode(raw)))' has a '..' component; member names must stay inside the archive",
                    subject: tar, remedy: "repack the tar with relative member names")
            }
            parts.append(part)
        }
        guard !parts.isEmpty else { return nil }
        return Array(parts.joined(separator: [UInt8(ascii: "/")]))
    }

    /// Whether `name` is already a plain relative path: no empty, `.` or `..` component (the common
    /// case, checked without allocating).
    private static func isPlain(_ name: [UInt8]) -> Bool {
        name.withUnsafeBufferPointer { b in
            guard let first = b.first, first != UInt8(ascii: "/"), b.last != UInt8(ascii: "/") else { return false }
            var start = 0
            for i in 0...b.count where i == b.count || b[i] == UInt8(ascii: "/") {
                let length = i - start
                if length == 0
                    || (b[start] == UInt8(ascii: ".")
                        && (length == 1 || (length == 2 && b[start + 1] == UInt8(ascii: "."))))
                {
                    return false
                }
                start = i + 1
            }
            return true
        }
    }

    /// Whether a name ends with `.tar` in any letter case.
    static func isTarName(_ name: [UInt8]) -> Bool {
        name.count >= 4 && name[name.count - 4] == UInt8(ascii: ".") && name[name.count - 3] | 0x20 == UInt8(ascii: "t")
            && name[name.count - 2] | 0x20 == UInt8(ascii: "a") && name[name.count - 1] | 0x20 == UInt8(ascii: "r")
    }

    /// Whether a component of `name` starts with `.`.
    static func isHidden(_ name: [UInt8]) -> Bool {
        if name.first == UInt8(ascii: ".") { return true }
        for i in name.indices.dropLast() where name[i] == UInt8(ascii: "/") && name[i + 1] == UInt8(ascii: ".") {
            return true
        }
        return false
    }
}
