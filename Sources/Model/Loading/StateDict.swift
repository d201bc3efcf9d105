import Tensor

/// Element types a checkpoint may store. Model weights accept f32, f16 and bf16.
public enum DType: String, Sendable, CaseIterable {
    case f32 = "F32", f16 = "F16", bf16 = "BF16", f64 = "F64"
    case i64 = "I64", i32 = "I32", i16 = "I16", i8 = "I8", u8 = "U8", bool = "BOOL"

    public var byteCount: Int {
        switch self {
        case .f64, .i64: 8
        case .f32, .i32: 4
        case .f16, .bf16, .i16: 2
        case .i8, .u8, .bool: 1
        }
    }

    /// Whether model weights may use this type.
    public var isWeightType: Bool { self == .f32 || self == .f16 || self == .bf16 }
}

/// One tensor of a checkpoint, not yet converted: where its elements lie in the mapped file.
public struct StoredTensor: Sendable {
    public let dtype: DType
    public let shape: [Int]
    /// Element strides (row-major contiguous for safetensors; as saved for PyTorch).
    public let strides: [Int]
    /// Byte offset of element 0 of the storage in the file.
    let storageOffset: Int
    /// Bytes the storage has from `storageOffset` on.
    let storageBytes: Int
    let file: MappedFile

    public var elementCount: Int { shape.reduce(1, *) }

    public static func contiguousStrides(_ shape: [Int]) -> [Int] {
        var s = [Int](repeating: 1, count: shape.count)
        var acc = 1
        for i in stride(from: shape.count - 1, through: 0, by: -1) { s[i] = acc; acc *= shape[i] }
        return s
    }

    /// The elements as float32 in row-major order (f32, f16, bf16 converted exactly; f64 rounded).
    /// Throws ``ModelError/unsupportedDType`` for integer types.
    public func floats(name: String, expectedShape: [Int]? = nil) throws(ModelError) -> [Float] {
        let n = elementCount
        guard dtype.isWeightType || dtype == .f64 else {
            throw .unsupportedDType(
                name: name, dtype: dtype.rawValue, expectedShape: expectedShape ?? shape, foundShape: shape,
                file: file.path)
        }
        // The furthest element must lie inside the storage.
        var maxIndex = 0
        for (e, s) in zip(shape, strides) where e > 0 { maxIndex += (e - 1) * s }
        guard n == 0 || (maxIndex + 1) * dtype.byteCount <= storageBytes, strides.allSatisfy({ $0 >= 0 }),
            let raw = file.bytes(at: storageOffset, count: storageBytes)
        else {
            throw .malformed(file: file.path, reason: "tensor \(name) (shape \(shape)) lies outside its storage")
        }
        if n == 0 { return [] }
        let contiguous = strides == StoredTensor.contiguousStrides(shape)
        let dtype = self.dtype
        @inline(__always) func element(_ i: Int) -> Float {
            switch dtype {
            case .f32:
                return Float(
                    bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self)))
            case .f16:
                return Float(
                    Float16(bitPattern: UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self)))
                )
            case .bf16:
                return Float(
                    bitPattern: UInt32(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self)))
                        << 16)
            case .f64:
                return Float(
                    Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self))))
            default: return 0
            }
        }
        return [Float](unsafeUninitializedCapacity: n) { out, count in
            if contiguous {
                if dtype == .f32 {
                    // Little-endian hosts only (x86-64, arm64): a plain copy, alignment-agnostic.
                    UnsafeMutableRawPointer(out.baseAddress!).copyMemory(from: raw.baseAddress!, byteCount: n * 4)
                } else {
                    for i in 0..<n { out[i] = element(i) }
                }
            } else {
                var index = [Int](repeating: 0, count: shape.count)
                for i in 0..<n {
                    var off = 0
                    for d in 0..<shape.count { off += index[d] * strides[d] }
                    out[i] = element(off)
                    var d = shape.count - 1
                    while d >= 0 {
                        index[d] += 1
                        if index[d] < shape[d] { break }
                        index[d] = 0
                        d -= 1
                    }
                }
            }
            count = n
        }
    }

    /// The elements as Int64 (for derivable integer buffers like `relative_position_index`).
    public func integers() -> [Int64]? {
        guard strides == StoredTensor.contiguousStrides(shape),
            let raw = file.bytes(at: storageOffset, count: storageBytes),
            elementCount * dtype.byteCount <= raw.count
        else { return nil }
        let n = elementCount
        switch dtype {
        case .i64: return (0..<n).map { Int64(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 8, as: Int64.self)) }
        case .i32:
            return (0..<n).map { Int64(Int32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: Int32.self))) }
        default: return nil
        }
    }
}

/// The tensors of a checkpoint by name, with the file's metadata, still in the mapped file.
public struct StateDict: Sendable {
    public enum Format: String, Sendable { case safetensors, pytorch }

    public let path: String
    public let format: Format
    public var tensors: [String: StoredTensor]
    /// Names in file order.
    public var names: [String]
    /// safetensors `__metadata__` (empty for PyTorch files).
    public var metadata: [String: String]
    let file: MappedFile

    /// Opens a checkpoint, choosing the reader by content (a zip is PyTorch; otherwise safetensors).
    public static func load(path: String) throws(ModelError) -> StateDict {
        let file = try MappedFile(path: path)
        let head = file.bytes(at: 0, count: min(4, file.count))!
        if head.count == 4, head[0] == 0x50, head[1] == 0x4B, head[2] == 0x03, head[3] == 0x04 {
            return try TorchCheckpoint.read(file)
        }
        // safetensors: an 8-byte little-endian header length, then the JSON header. Check for it before
        // the legacy-pickle magic (0x80): a header length's low byte can be 0x80 too.
        if file.count >= 9, let prefix = file.bytes(at: 0, count: 9) {
            var length: UInt64 = 0
            for i in (0..<8).reversed() { length = length << 8 | UInt64(prefix[i]) }
            if length <= UInt64(file.count - 8), prefix[8] == UInt8(ascii: "{") { return try Safetensors.read(file) }
        }
        if head.count >= 2, head[0] == 0x80, (2...5).contains(head[1]) {
            throw .malformed(
                file: path,
                reason:
                    "legacy (pre-1.6, non-zip) PyTorch format; re-save it with torch.save in a current PyTorch, or convert to safetensors"
            )
        }
        if file.count >= 8 { return try Safetensors.read(file) }
        throw .unknownFormat(file: path)
    }

    /// Converts one tensor to a float32 ``Tensor``, checking presence, shape and type.
    public func tensor(_ name: String, shape expected: [Int]) throws(ModelError) -> Tensor {
        guard let stored = tensors[name] else { throw .missingTensor(name: name, expectedShape: expected, file: path) }
        guard stored.shape == expected else {
            throw .shapeMismatch(name: name, expectedShape: expected, foundShape: stored.shape, file: path)
        }
        guard stored.dtype.isWeightType else {
            throw .unsupportedDType(
                name: name, dtype: stored.dtype.rawValue, expectedShape: expected, foundShape: stored.shape, file: path)
        }
        return Tensor(shape: expected, scalars: try stored.floats(name: name, expectedShape: expected))
    }
}
