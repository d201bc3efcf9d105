/// A one-dimensional array in NumPy's `.npy` format (version 1.0), for `.npz` exports: little-endian
/// float64 (`<f8`), int32 (`<i4`), bool (`|b1`) or fixed-width Unicode (`<U<n>`, UTF-32), as `np.save`
/// writes them, so `np.load` reads them without `allow_pickle`.
struct NPYArray {
    /// The `.npy` file's bytes.
    let bytes: [UInt8]

    init(_ values: [Double]) {
        var data: [UInt8] = []
        data.reserveCapacity(values.count * 8)
        for v in values { withUnsafeBytes(of: v.bitPattern.littleEndian) { data += $0 } }
        bytes = Self.file(descr: "<f8", count: values.count, data: data)
    }

    init(_ values: [Int32]) {
        var data: [UInt8] = []
        data.reserveCapacity(values.count * 4)
        for v in values { withUnsafeBytes(of: v.littleEndian) { data += $0 } }
        bytes = Self.file(descr: "<i4", count: values.count, data: data)
    }

    init(_ values: [Bool]) {
        bytes = Self.file(descr: "|b1", count: values.count, data: values.map { $0 ? 1 : 0 })
    }

    init(_ values: [String]) {
        let scalars = values.map { Array($0.unicodeScalars) }
        let width = max(1, scalars.map(\.count).max() ?? 1)
        var data: [UInt8] = []
        data.reserveCapacity(values.count * width * 4)
        for s in scalars {
            for c in s { withUnsafeBytes(of: c.value.littleEndian) { data += $0 } }
            data += [UInt8](repeating: 0, count: (width - s.count) * 4)
        }
        bytes = Self.file(descr: "<U\(width)", count: values.count, data: data)
    }

    /// The magic, the header (a Python dict literal, padded with spaces to a multiple of 64 bytes with its
    /// newline) and the data.
    private static func file(descr: String, count: Int, data: [UInt8]) -> [UInt8] {
        var header = Array("{'descr': '\(descr)', 'fortran_order': False, 'shape': (\(count),), }".utf8)
        let unpadded = 10 + header.count + 1
        header += [UInt8](repeating: UInt8(ascii: " "), count: (64 - unpadded % 64) % 64)
        header.append(UInt8(ascii: "\n"))
        let length = UInt16(header.count)
        return [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(length & 0xFF), UInt8(length >> 8)] + header + data
    }
}
