import Foundation
import TagoodSupport
import Tensor

/// The safetensors format: an 8-byte little-endian header length, a JSON header
/// (`{"name": {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {...}}`), then the raw
/// little-endian data, offsets relative to the end of the header.
public enum Safetensors {
    static func read(_ file: MappedFile) throws(ModelError) -> StateDict {
        let path = file.path
        let all = file.all
        guard file.count >= 8 else {
            throw .malformed(file: path, reason: "\(file.count) bytes is too short for a safetensors file")
        }
        let declared = UInt64(littleEndian: all.loadUnaligned(fromByteOffset: 0, as: UInt64.self))
        guard declared > 1, declared <= UInt64(file.count - 8), declared < 1 << 30 else {
            throw .malformed(
                file: path, reason: "safetensors header length \(declared) does not fit the file (\(file.count) bytes)")
        }
        let headerLength = Int(declared)
        let headerBytes = Data(UnsafeRawBufferPointer(rebasing: all[8..<(8 + headerLength)]))
        let members: [String: HeaderEntry]
        let metadata: [String: String]
        do {
            members = try JSONDecoder().decode([String: HeaderEntry].self, from: headerBytes)
            metadata = try JSONDecoder().decode(HeaderMetadata.self, from: headerBytes).metadata ?? [:]
        } catch {
            throw .malformed(
                file: path, reason: "safetensors header is not a JSON object of tensors: \(Self.describe(error))")
        }
        let dataStart = 8 + headerLength
        let dataBytes = file.count - dataStart
        var tensors: [String: StoredTensor] = [:]
        for (name, entry) in members where name != "__metadata__" {
            guard let dtypeName = entry.dtype, let dtype = DType(rawValue: dtypeName) else {
                throw .malformed(file: path, reason: "tensor \(name): unknown dtype \(entry.dtype ?? "(none)")")
            }
            guard let shape = entry.shape, let offsets = entry.data_offsets, offsets.count == 2 else {
                throw .malformed(file: path, reason: "tensor \(name): missing shape or data_offsets")
            }
            guard shape.allSatisfy({ $0 >= 0 }) else {
                throw .malformed(file: path, reason: "tensor \(name): invalid shape \(shape)")
            }
            let (begin, end) = (offsets[0], offsets[1])
            let n = shape.reduce(1, *)
            guard begin >= 0, end >= begin, end <= dataBytes, end - begin == n * dtype.byteCount else {
                throw .malformed(
                    file: path,
                    reason:
                        "tensor \(name): data_offsets [\(begin), \(end)] do not fit shape \(shape) of \(dtypeName) in \(dataBytes) data bytes"
                )
            }
            tensors[name] = StoredTensor(
                dtype: dtype, shape: shape, strides: StoredTensor.contiguousStrides(shape),
                storageOffset: dataStart + begin, storageBytes: end - begin, file: file)
        }
        // The order of the data in the file (JSON objects have none of their own).
        let names = tensors.keys.sorted { (tensors[$0]!.storageOffset, $0) < (tensors[$1]!.storageOffset, $1) }
        return StateDict(
            path: path, format: .safetensors, tensors: tensors, names: names, metadata: metadata, file: file)
    }

    /// One tensor's entry in the JSON header (every field optional, so a bad entry gets its own error).
    struct HeaderEntry: Codable {
        var dtype: String?
        var shape: [Int]?
        var data_offsets: [Int]?
    }

    /// The header's `__metadata__` object of strings.
    struct HeaderMetadata: Decodable {
        var metadata: [String: String]?
        enum CodingKeys: String, CodingKey { case metadata = "__metadata__" }
    }

    /// A decoding error in one line, naming the key.
    static func describe(_ error: any Error) -> String {
        guard let error = error as? DecodingError else { return "\(error)" }
        switch error {
        case .typeMismatch(_, let c), .valueNotFound(_, let c), .keyNotFound(_, let c), .dataCorrupted(let c):
            let key = c.codingPath.map(\.stringValue).joined(separator: ".")
            return key.isEmpty ? c.debugDescription : "\(key): \(c.debugDescription)"
        @unknown default:
            return "\(error)"
        }
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
        var members: [String: HeaderEntry] = [:]
        var offset = 0
        for e in entries {
            precondition(e.dtype.isWeightType, "safetensors writer: \(e.dtype) not supported")
            let size = e.tensor.count * e.dtype.byteCount
            members[e.name] = HeaderEntry(
                dtype: e.dtype.rawValue, shape: e.tensor.shape, data_offsets: [offset, offset + size])
            offset += size
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding plain strings and integers cannot fail.
        var header = Array(try! encoder.encode(members))
        if !metadata.isEmpty {
            // `"__metadata__": {…}` first, as the reference writer puts it.
            let meta = Array(try! encoder.encode(["__metadata__": metadata]))
            header = Array(meta.dropLast()) + [UInt8(ascii: ",")] + Array(header.dropFirst())
            if entries.isEmpty { header = meta }
        }
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
                    for v in p {
                        withUnsafeBytes(of: Float16(v).bitPattern.littleEndian) { out.append(contentsOf: $0) }
                    }
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
