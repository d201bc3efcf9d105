/// The directory of a zip archive whose members are STORED (uncompressed), as `torch.save` writes
/// them; zip64 records are understood, so multi-GB checkpoints open. Member data is located, not copied.
struct ZipArchive {
    struct Member {
        let name: String
        let method: UInt16
        let size: Int
        /// Absolute offset of the member's data in the file.
        let dataOffset: Int
    }

    let members: [Member]

    init(_ file: MappedFile) throws(ModelError) {
        let path = file.path
        let all = file.all
        func u16(_ o: Int) -> Int { Int(UInt16(littleEndian: all.loadUnaligned(fromByteOffset: o, as: UInt16.self))) }
        func u32(_ o: Int) -> Int { Int(UInt32(littleEndian: all.loadUnaligned(fromByteOffset: o, as: UInt32.self))) }
        func u64(_ o: Int) -> Int {
            Int(truncatingIfNeeded: UInt64(littleEndian: all.loadUnaligned(fromByteOffset: o, as: UInt64.self)))
        }
        func bad(_ reason: String) -> ModelError { .malformed(file: path, reason: "zip: " + reason) }

        // End of central directory: the last 0x06054b50 within the final 64 KiB + 22 bytes.
        guard all.count >= 22 else { throw bad("file too short") }
        var eocd = -1
        var o = all.count - 22
        let lowest = max(0, all.count - 22 - 0xFFFF)
        while o >= lowest {
            if u32(o) == 0x0605_4B50 { eocd = o; break }
            o -= 1
        }
        guard eocd >= 0 else { throw bad("no end-of-central-directory record (truncated download?)") }
        var entries = u16(eocd + 10)
        var cdOffset = u32(eocd + 16)
        if entries == 0xFFFF || cdOffset == 0xFFFF_FFFF {
            let locator = eocd - 20
            guard locator >= 0, u32(locator) == 0x0706_4B50 else { throw bad("zip64 locator missing") }
            let record = u64(locator + 8)
            guard record >= 0, record + 56 <= all.count, u32(record) == 0x0606_4B50 else {
                throw bad("zip64 end record missing")
            }
            entries = u64(record + 32)
            cdOffset = u64(record + 48)
        }
        var members: [Member] = []
        var p = cdOffset
        for _ in 0..<entries {
            guard p >= 0, p + 46 <= all.count, u32(p) == 0x0201_4B50 else { throw bad("corrupt central directory") }
            let method = UInt16(u16(p + 10))
            var size = u32(p + 24)
            let compressed = u32(p + 20)
            let nameLength = u16(p + 28), extraLength = u16(p + 30), commentLength = u16(p + 32)
            var localOffset = u32(p + 42)
            guard p + 46 + nameLength + extraLength <= all.count else { throw bad("corrupt central directory entry") }
            let name = String(
                decoding: UnsafeRawBufferPointer(rebasing: all[(p + 46)..<(p + 46 + nameLength)]), as: UTF8.self)
            // Zip64 extended information: the 64-bit values of the fields that are 0xFFFFFFFF, in order.
            var e = p + 46 + nameLength
            let extraEnd = e + extraLength
            while e + 4 <= extraEnd {
                let id = u16(e), length = u16(e + 2)
                if id == 0x0001 {
                    var q = e + 4
                    if size == 0xFFFF_FFFF { size = u64(q); q += 8 }
                    if compressed == 0xFFFF_FFFF { q += 8 }
                    if localOffset == 0xFFFF_FFFF { localOffset = u64(q) }
                }
                e += 4 + length
            }
            guard localOffset >= 0, localOffset + 30 <= all.count, u32(localOffset) == 0x0403_4B50 else {
                throw bad("member \(name): bad local header")
            }
            let dataOffset = localOffset + 30 + u16(localOffset + 26) + u16(localOffset + 28)
            guard dataOffset + size <= all.count, size >= 0 else {
                throw bad("member \(name) runs past the end of the file")
            }
            members.append(Member(name: name, method: method, size: size, dataOffset: dataOffset))
            p += 46 + nameLength + extraLength + commentLength
        }
        self.members = members
    }
}
