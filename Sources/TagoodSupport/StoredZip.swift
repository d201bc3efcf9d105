/// A zip archive of stored (uncompressed) files, as `np.savez` writes an `.npz` and `torch.save` a
/// checkpoint: local headers, the data, the central directory and its end record, each entry with its
/// CRC-32. Zip64 is not needed below 4 GiB; larger archives are refused by the caller's limit (`fits`).
public struct StoredZip: Sendable {
    /// The archive so far: local headers and data.
    public private(set) var bytes: [UInt8] = []
    private var central: [UInt8] = []
    private var entries = 0

    public init() {}

    /// Whether the archive can still take `size` more bytes without Zip64.
    public func fits(_ size: Int) -> Bool { bytes.count + size + central.count + 4096 < Int(UInt32.max) }

    /// Adds `data` as `name`. With `alignment` > 1 the data starts at a multiple of it in the archive,
    /// padded by an extra field in the local header (id `FB`, as PyTorch pads its storages to 64 bytes).
    public mutating func add(_ name: String, _ data: [UInt8], alignment: Int = 1) {
        let nameBytes = Array(name.utf8)
        let crc = CRC32.checksum(data)
        let offset = UInt32(bytes.count)
        var extra: [UInt8] = []
        let unpadded = bytes.count + 30 + nameBytes.count
        if alignment > 1 && unpadded % alignment != 0 {
            let pad = (alignment - (unpadded + 4) % alignment) % alignment
            put16(0x4246, &extra); put16(UInt16(pad), &extra)
            extra += [UInt8](repeating: 0x5A, count: pad)
        }
        // Local file header: version 2.0, no flags, stored, time/date 0, CRC, sizes, name, extra.
        var local: [UInt8] = []
        put32(0x0403_4b50, &local)
        put16(20, &local); put16(0, &local); put16(0, &local); put16(0, &local); put16(0x21, &local)
        put32(crc, &local); put32(UInt32(data.count), &local); put32(UInt32(data.count), &local)
        put16(UInt16(nameBytes.count), &local); put16(UInt16(extra.count), &local)
        bytes += local + nameBytes + extra + data
        // Its central directory entry.
        put32(0x0201_4b50, &central)
        put16(20, &central); put16(20, &central); put16(0, &central); put16(0, &central); put16(0, &central)
        put16(0x21, &central)
        put32(crc, &central); put32(UInt32(data.count), &central); put32(UInt32(data.count), &central)
        put16(UInt16(nameBytes.count), &central); put16(0, &central); put16(0, &central); put16(0, &central)
        put16(0, &central); put32(0, &central); put32(offset, &central)
        central += nameBytes
        entries += 1
    }

    /// The whole archive.
    public func finished() -> [UInt8] {
        var end: [UInt8] = []
        put32(0x0605_4b50, &end)
        put16(0, &end); put16(0, &end); put16(UInt16(entries), &end); put16(UInt16(entries), &end)
        put32(UInt32(central.count), &end); put32(UInt32(bytes.count), &end); put16(0, &end)
        return bytes + central + end
    }

    private func put16(_ v: UInt16, _ out: inout [UInt8]) { out += [UInt8(v & 0xFF), UInt8(v >> 8)] }
    private func put32(_ v: UInt32, _ out: inout [UInt8]) {
        out += [UInt8(v & 0xFF), UInt8((v >> 8) & 0xFF), UInt8((v >> 16) & 0xFF), UInt8(v >> 24)]
    }
}

/// CRC-32 (IEEE 802.3, reflected, zip's and zlib's).
public enum CRC32 {
    private static let table: [UInt32] = (0..<256).map { n in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    /// The CRC-32 of `data`.
    public static func checksum(_ data: [UInt8]) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        for b in data { c = table[Int((c ^ UInt32(b)) & 0xFF)] ^ (c >> 8) }
        return c ^ 0xFFFF_FFFF
    }
}
