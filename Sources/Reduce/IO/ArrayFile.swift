import Foundation
import TagoodSupport

/// A small self-describing container of named little-endian arrays: the format of the reduce partials and
/// of `reduce/centers.bin`.
///
/// Layout: the 8 bytes `TAGOODA1`, a little-endian `UInt64` header length H, H bytes of JSON
/// `{"format": "tagood-arrays", "version": 1, "meta": {…strings…}, "arrays": [{"name", "dtype", "shape",
/// "offset"}]}`, then each array's raw bytes at its `offset` (from the file start, 64-byte aligned).
/// dtypes are numpy's: `<f4`, `<f8`, `<i4`, `<i8`, `|u1`. With numpy:
///
/// ```python
/// raw = open("centers.bin", "rb").read(); n = int.from_bytes(raw[8:16], "little")
/// header = json.loads(raw[16:16 + n])
/// arrays = {a["name"]: np.frombuffer(raw, a["dtype"], int(np.prod(a["shape"])), a["offset"]).reshape(a["shape"])
///           for a in header["arrays"]}
/// ```
public struct ArrayFile: Sendable {
    /// The 8-byte magic.
    public static let magic: [UInt8] = Array("TAGOODA1".utf8)

    /// One array's entry in the header.
    public struct Entry: Codable, Sendable, Equatable {
        public var name: String
        public var dtype: String
        public var shape: [Int]
        public var offset: Int
    }

    struct Header: Codable {
        var format = "tagood-arrays"
        var version = 1
        var meta: [String: String]
        var arrays: [Entry]
    }

    /// String metadata.
    public var meta: [String: String]
    /// The arrays, in file order.
    public private(set) var entries: [Entry] = []
    private var data: [String: [UInt8]] = [:]

    /// An empty file with the given metadata.
    public init(meta: [String: String] = [:]) {
        self.meta = meta
    }

    // MARK: Building

    private mutating func add<T>(_ name: String, dtype: String, shape: [Int], _ values: [T]) {
        precondition(shape.reduce(1, *) == values.count, "array \(name): shape \(shape) does not hold \(values.count) values")
        precondition(data[name] == nil, "array \(name) added twice")
        entries.append(Entry(name: name, dtype: dtype, shape: shape, offset: 0))
        data[name] = values.withUnsafeBytes { Array($0) }
    }

    /// Adds a float32 array.
    public mutating func add(_ name: String, shape: [Int], floats: [Float]) { add(name, dtype: "<f4", shape: shape, floats) }
    /// Adds a float64 array.
    public mutating func add(_ name: String, shape: [Int], doubles: [Double]) { add(name, dtype: "<f8", shape: shape, doubles) }
    /// Adds an int32 array.
    public mutating func add(_ name: String, shape: [Int], int32s: [Int32]) { add(name, dtype: "<i4", shape: shape, int32s) }
    /// Adds an int64 array.
    public mutating func add(_ name: String, shape: [Int], int64s: [Int64]) { add(name, dtype: "<i8", shape: shape, int64s) }
    /// Adds a uint8 array.
    public mutating func add(_ name: String, shape: [Int], bytes: [UInt8]) { add(name, dtype: "|u1", shape: shape, bytes) }

    /// The file's bytes. Equal content gives equal bytes (sorted JSON keys).
    public func encoded() -> [UInt8] {
        // Lay the arrays out after a header whose size depends on the offsets: iterate until it settles.
        var laidOut = entries
        var headerBytes: [UInt8] = []
        var guess = 0
        for _ in 0..<4 {
            var offset = Self.align(16 + guess)
            for i in laidOut.indices {
                laidOut[i].offset = offset
                offset = Self.align(offset + data[laidOut[i].name]!.count)
            }
            headerBytes = Self.encodeHeader(Header(meta: meta, arrays: laidOut))
            if headerBytes.count <= guess { break }
            guess = headerBytes.count + 64
        }
        // Pad the header with spaces to its reserved size (JSON ignores trailing spaces).
        headerBytes += [UInt8](repeating: 0x20, count: guess - headerBytes.count)
        let total = laidOut.last.map { $0.offset + data[$0.name]!.count } ?? 16 + headerBytes.count
        // One buffer of the final size, zeroed (the alignment gaps), each part copied in once: a partial
        // holds megabytes of arrays, and growing the output as it goes would copy them again and again.
        var out = [UInt8](repeating: 0, count: total)
        out.withUnsafeMutableBytes { raw in
            raw.copyBytes(from: Self.magic)
            withUnsafeBytes(of: UInt64(headerBytes.count).littleEndian) { UnsafeMutableRawBufferPointer(rebasing: raw[8..<16]).copyMemory(from: $0) }
            UnsafeMutableRawBufferPointer(rebasing: raw[16...]).copyBytes(from: headerBytes)
            for entry in laidOut {
                data[entry.name]!.withUnsafeBytes { UnsafeMutableRawBufferPointer(rebasing: raw[entry.offset...]).copyMemory(from: $0) }
            }
        }
        return out
    }

    /// Writes the file atomically (temporary file, fsync, rename).
    public func write(to path: String) throws(ReduceError) {
        do {
            try AtomicFile.write(encoded(), to: path)
        } catch {
            throw ReduceError.writing(path, error)
        }
    }

    private static func align(_ n: Int) -> Int { (n + 63) / 64 * 64 }

    private static func encodeHeader(_ header: Header) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return Array(try! encoder.encode(header))
    }

    // MARK: Reading

    /// Reads and checks a file written by ``write(to:)``.
    public static func read(path: String) throws(ReduceError) -> ArrayFile {
        let bytes: [UInt8]
        do { bytes = try FileBytes.read(path) } catch {
            throw ReduceError(.damaged, "cannot read \(path): \(error)")
        }
        return try decode(bytes, path: path)
    }

    /// Parses file bytes; `path` is only for messages.
    public static func decode(_ bytes: [UInt8], path: String) throws(ReduceError) -> ArrayFile {
        let damaged = { (why: String) in
            ReduceError(.damaged, "\(path) is not a tagood array file (\(why)); delete it and re-run `tagood reduce`")
        }
        guard bytes.count >= 16, Array(bytes[0..<8]) == magic else { throw damaged("bad magic") }
        let length = bytes[8..<16].withUnsafeBytes { Int(UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self))) }
        guard length >= 0, 16 + length <= bytes.count else { throw damaged("truncated header") }
        let header: Header
        do { header = try JSONDecoder().decode(Header.self, from: Data(bytes[16..<(16 + length)])) } catch {
            throw damaged("bad header: \(error)")
        }
        guard header.format == "tagood-arrays", header.version == 1 else { throw damaged("format \(header.format) v\(header.version)") }
        var file = ArrayFile(meta: header.meta)
        for entry in header.arrays {
            guard let size = elementSize(entry.dtype), entry.shape.allSatisfy({ $0 >= 0 }) else {
                throw damaged("array \(entry.name) has dtype \(entry.dtype) shape \(entry.shape)")
            }
            let count = entry.shape.reduce(1, *) * size
            guard entry.offset >= 16 + length, entry.offset + count <= bytes.count else {
                throw damaged("array \(entry.name) runs past the end of the file")
            }
            file.entries.append(entry)
            file.data[entry.name] = Array(bytes[entry.offset..<(entry.offset + count)])
        }
        return file
    }

    static func elementSize(_ dtype: String) -> Int? {
        switch dtype {
        case "<f4", "<i4": return 4
        case "<f8", "<i8": return 8
        case "|u1": return 1
        default: return nil
        }
    }

    /// The shape of array `name`, or nil.
    public func shape(_ name: String) -> [Int]? { entries.first { $0.name == name }?.shape }

    private func values<T>(_ name: String, dtype: String, as _: T.Type) -> [T]? {
        guard let entry = entries.first(where: { $0.name == name }), entry.dtype == dtype, let raw = data[name] else { return nil }
        let count = raw.count / MemoryLayout<T>.size
        return [T](unsafeUninitializedCapacity: count) { buffer, initialized in
            raw.withUnsafeBytes { UnsafeMutableRawBufferPointer(buffer).copyMemory(from: $0) }
            initialized = count
        }
    }

    /// Array `name` as float32 values, or nil when missing or of another dtype.
    public func floats(_ name: String) -> [Float]? { values(name, dtype: "<f4", as: Float.self) }
    /// Array `name` as float64 values.
    public func doubles(_ name: String) -> [Double]? { values(name, dtype: "<f8", as: Double.self) }
    /// Array `name` as int32 values.
    public func int32s(_ name: String) -> [Int32]? { values(name, dtype: "<i4", as: Int32.self) }
    /// Array `name` as int64 values.
    public func int64s(_ name: String) -> [Int64]? { values(name, dtype: "<i8", as: Int64.self) }
    /// Array `name` as bytes.
    public func bytes(_ name: String) -> [UInt8]? { values(name, dtype: "|u1", as: UInt8.self) }
}
