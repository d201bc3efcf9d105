import TagoodSupport
import Tensor

/// The safetensors format: an 8-byte little-endian header length, a JSON header
/// (`{"name": {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {...}}`), then the raw
/// little-endian data, offsets relative to the end of the header.
public enum Safetensors {
    static func read(_ file: MappedFile) throws(ModelError) -> StateDict {
        let path = file.path
        let all = file.all
        let headerLength = Int(UInt64(littleEndian: all.loadUnaligned(fromByteOffset: 0, as: UInt64.self)))
        guard headerLength > 1, headerLength <= file.count - 8, headerLength < 1 << 30 else {
            throw .malformed(file: path, reason: "safetensors header length \(headerLength) does not fit the file (\(file.count) bytes)")
        }
        let header: JSONValue
        do { header = try JSONValue.parse(UnsafeRawBufferPointer(rebasing: all[8..<(8 + headerLength)])) } catch {
            throw .malformed(file: path, reason: "safetensors header is not JSON: \(error)")
        }
        guard let members = header.object else { throw .malformed(file: path, reason: "safetensors header is not an object") }
        let dataStart = 8 + headerLength
        let dataBytes = file.count - dataStart
        var tensors: [String: StoredTensor] = [:]
        var names: [String] = []
        var metadata: [String: String] = [:]
        for (name, entry) in members {
            if name == "__metadata__" {
                for (k, v) in entry.object ?? [] { if let s = v.string { metadata[k] = s } }
                continue
            }
            guard let dtypeName = entry["dtype"]?.string, let dtype = DType(rawValue: dtypeName) else {
                throw .malformed(file: path, reason: "tensor \(name): unknown dtype \(entry["dtype"]?.serialized ?? "(none)")")
            }
            guard let shapeValues = entry["shape"]?.array, let offsets = entry["data_offsets"]?.array, offsets.count == 2,
                  let begin = offsets[0].int, let end = offsets[1].int else {
                throw .malformed(file: path, reason: "tensor \(name): missing shape or data_offsets")
            }
            let shape = shapeValues.compactMap(\.int)
            guard shape.count == shapeValues.count, shape.allSatisfy({ $0 >= 0 }) else {
                throw .malformed(file: path, reason: "tensor \(name): invalid shape \(entry["shape"]!.serialized)")
            }
            let n = shape.reduce(1, *)
            guard begin >= 0, end >= begin, end <= dataBytes, end - begin == n * dtype.byteCount else {
                throw .malformed(file: path, reason: "tensor \(name): data_offsets [\(begin), \(end)] do not fit shape \(shape) of \(dtypeName) in \(dataBytes) data bytes")
            }
            tensors[name] = StoredTensor(dtype: dtype, shape: shape, strides: StoredTensor.contiguousStrides(shape),
                                         storageOffset: dataStart + begin, storageBytes: end - begin, file: file)
            names.append(name)
        }
        return StateDict(path: path, format: .safetensors, tensors: tensors, names: names, metadata: metadata, file: file)
    }

    /// A tensor to write: float32 elements stored as `dtype` (f32, f16 or bf16).
    public struct Entry: Sendable {
        public var name: String
        public var tensor: Tensor
        public var dtype: DType
        public init(name: String, tensor: Tensor, dtype: DType = .f32) {
            self.name = name
            self.tensor = tensor
            self.dtype = dtype
        }
    }

    /// Serialises tensors (in the given order) and metadata to safetensors bytes.
    public static func encode(_ entries: [Entry], metadata: [String: String] = [:]) -> [UInt8] {
        var members: [(String, JSONValue)] = []
        if !metadata.isEmpty {
            members.append(("__metadata__", .object(metadata.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) })))
        }
        var offset = 0
        for e in entries {
            precondition(e.dtype.isWeightType, "safetensors writer: \(e.dtype) not supported")
            let size = e.tensor.count * e.dtype.byteCount
            members.append((e.name, .object([
                ("dtype", .string(e.dtype.rawValue)),
                ("shape", .array(e.tensor.shape.map { .number(Double($0)) })),
                ("data_offsets", .array([.number(Double(offset)), .number(Double(offset + size))])),
            ])))
            offset += size
        }
        var header = Array(JSONValue.object(members).serialized.utf8)
        while (8 + header.count) % 8 != 0 { header.append(0x20) }
        var out = [UInt8]()
        out.reserveCapacity(8 + header.count + offset)
        withUnsafeBytes(of: UInt64(header.count).littleEndian) { out.append(contentsOf: $0) }
        out.append(contentsOf: header)
        for e in entries {
            e.tensor.withUnsafeBufferPointer { p in
                switch e.dtype {
                case .f32:
                    out.append(contentsOf: UnsafeRawBufferPointer(p))
                case .f16:
                    for v in p { withUnsafeBytes(of: Float16(v).bitPattern.littleEndian) { out.append(contentsOf: $0) } }
                case .bf16:
                    for v in p { withUnsafeBytes(of: bfloat16Bits(v).littleEndian) { out.append(contentsOf: $0) } }
                default: break
                }
            }
        }
        return out
    }

    /// Writes a safetensors file atomically (temporary file, fsync, rename).
    public static func write(_ entries: [Entry], metadata: [String: String] = [:], to path: String) throws(ModelError) {
        do { try AtomicFile.write(encode(entries, metadata: metadata), to: path) } catch { throw .io(error) }
    }

    /// Round-to-nearest-even float32 → bfloat16 bits (NaN stays NaN).
    public static func bfloat16Bits(_ v: Float) -> UInt16 {
        let bits = v.bitPattern
        if v.isNaN { return UInt16(bits >> 16) | 0x40 }
        let rounded = bits &+ 0x7FFF &+ ((bits >> 16) & 1)
        return UInt16(rounded >> 16)
    }
}
