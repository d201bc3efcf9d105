import TagoodSupport

/// Writes NumPy `.npy` files (format 1.0, little-endian float32 `<f4`, C order).
public enum NPY {
    /// The header for a float32 array of `shape`: magic, version 1.0, length, and the dict
    /// `{'descr': '<f4', 'fortran_order': False, 'shape': (...), }` padded with spaces and a newline
    /// so that the data starts at a multiple of 64 bytes.
    public static func header(shape: [Int]) -> [UInt8] {
        let dims = shape.map(String.init).joined(separator: ", ")
        let tuple = shape.count == 1 ? "(\(dims),)" : "(\(dims))"
        var dict = "{'descr': '<f4', 'fortran_order': False, 'shape': \(tuple), }"
        let prefix = 10 // magic (6) + version (2) + header length (2)
        let unpadded = prefix + dict.utf8.count + 1
        let padding = (64 - unpadded % 64) % 64
        dict += String(repeating: " ", count: padding) + "\n"
        let length = UInt16(dict.utf8.count)
        var bytes: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(length & 0xFF), UInt8(length >> 8)]
        bytes += Array(dict.utf8)
        return bytes
    }

    /// The complete `.npy` file for `values` with `shape` (whose product must equal `values.count`).
    public static func encode(_ values: UnsafeBufferPointer<Float>, shape: [Int]) -> [UInt8] {
        precondition(shape.reduce(1, *) == values.count, "NPY: shape \(shape) does not hold \(values.count) values")
        var bytes = header(shape: shape)
        let start = bytes.count
        bytes.append(contentsOf: repeatElement(0, count: values.count * 4))
        bytes.withUnsafeMutableBytes { raw in
            for (i, v) in values.enumerated() {
                raw.storeBytes(of: v.bitPattern.littleEndian, toByteOffset: start + 4 * i, as: UInt32.self)
            }
        }
        return bytes
    }

    /// ``encode(_:shape:)`` for an array.
    public static func encode(_ values: [Float], shape: [Int]) -> [UInt8] {
        values.withUnsafeBufferPointer { encode($0, shape: shape) }
    }

    /// Writes `values` as a `.npy` file at `path`, atomically (temporary file, fsync, rename).
    public static func write(_ values: [Float], shape: [Int], to path: String) throws(FileError) {
        try AtomicFile.write(encode(values, shape: shape), to: path)
    }
}
