import Foundation
import TagoodSupport

/// A small self-describing container of named little-endian arrays: the format of the reduce partials and
/// of `reduce/centers.bin`.
///
/// Layout: the 8 bytes `TAGOODA1`, a little-endian `UInt64` header length H, H bytes of JSON
/// `{"format": "tagood-arrays", "version": 2, "meta": {…strings…}, "arrays": [{"name", "dtype", "shape",
/// "offset"}]}`, then each array's raw bytes at its `offset` (from the file start, 64-byte aligned), then
/// (version 2) 8 bytes: the little-endian XXH3-64 (seed 0) of every byte before them, checked on every
/// read, so a damaged file is refused (a damaged partial is rebuilt from its shard). Version 1 (tagood
/// 0.3 and before) has no checksum and still reads; it must end exactly where its last array ends.
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
    /// The version written: 2, with the XXH3 trailer (1: without).
    public static let version = 2

    /// One array's entry in the header.
    public struct Entry: Codable, Sendable, Equatable {
        public var name: String
        public var dtype: String
        public var shape: [Int]
        public var offset: Int
    }

    struct Header: Codable {
        var format = "tagood-arrays"
        var version = ArrayFile.version
        var meta: [String: String]
        var arrays: [Entry]
    }

    /// String metadata.
    public var meta: [String: String]
    /// The arrays, in file order.
    public private(set) var entries: [Entry] = []
    private var data: [String: Storage] = [:]

    /// An array's values: the array it was added as (no copy), or bytes read from a file.
    private enum Storage: Sendable {
        case floats([Float]), doubles([Double]), int32s([Int32]), int64s([Int64]), bytes([UInt8])

        func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) -> R) -> R {
            switch self {
            case .floats(let v): v.withUnsafeBytes(body)
            case .doubles(let v): v.withUnsafeBytes(body)
            case .int32s(let v): v.withUnsafeBytes(body)
            case .int64s(let v): v.withUnsafeBytes(body)
            case .bytes(let v): v.withUnsafeBytes(body)
            }
        }

        var byteCount: Int { withUnsafeBytes { $0.count } }
    }

    /// An empty file with the given metadata.
    public init(meta: [String: String] = [:]) {
        self.meta = meta
    }

    // MARK: Building

    private mutating func add(_ name: String, dtype: String, shape: [Int], count: Int, _ values: Storage) {
        precondition(shape.reduce(1, *) == count, "array \(name): shape \(shape) does not hold \(count) values")
        precondition(data[name] == nil, "array \(name) added twice")
        entries.append(Entry(name: name, dtype: dtype, shape: shape, offset: 0))
        data[name] = values
    }

    /// Adds a float32 array (kept as it is, not copied: arrays are copy-on-write).
    public mutating func add(_ name: String, shape: [Int], floats: [Float]) {
        add(name, dtype: "<f4", shape: shape, count: floats.count, .floats(floats))
    }
    /// Adds a float64 array.
    public mutating func add(_ name: String, shape: [Int], doubles: [Double]) {
        add(name, dtype: "<f8", shape: shape, count: doubles.count, .doubles(doubles))
    }
    /// Adds an int32 array.
    public mutating func add(_ name: String, shape: [Int], int32s: [Int32]) {
        add(name, dtype: "<i4", shape: shape, count: int32s.count, .int32s(int32s))
    }
    /// Adds an int64 array.
    public mutating func add(_ name: String, shape: [Int], int64s: [Int64]) {
        add(name, dtype: "<i8", shape: shape, count: int64s.count, .int64s(int64s))
    }
    /// Adds a uint8 array.
    public mutating func add(_ name: String, shape: [Int], bytes: [UInt8]) {
        add(name, dtype: "|u1", shape: shape, count: bytes.count, .bytes(bytes))
    }

    /// The file's bytes. Equal content gives equal bytes (sorted JSON keys).
    public func encoded() -> [UInt8] {
        var out: [UInt8] = []
        forEachPiece { out.append(contentsOf: $0) }
        return out
    }

    /// Hands the file's bytes to `body` in order, in pieces: the magic and the header, then each array's
    /// alignment gap and its values where they lie (no copy), then the XXH3 of them all.
    private func forEachPiece(_ body: (UnsafeRawBufferPointer) -> Void) {
        let hash = XXH3()
        forEachContentPiece { piece in
            hash.update(piece)
            body(piece)
        }
        withUnsafeBytes(of: hash.digest().littleEndian) { body($0) }
    }

    /// The pieces of ``forEachPiece(_:)`` before the checksum.
    private func forEachContentPiece(_ body: (UnsafeRawBufferPointer) -> Void) {
        // Lay the arrays out after a header whose size depends on the offsets: iterate until it settles.
        var laidOut = entries
        var headerBytes: [UInt8] = []
        var guess = 0
        for _ in 0..<4 {
            var offset = Self.align(16 + guess)
            for i in laidOut.indices {
                laidOut[i].offset = offset
                offset = Self.align(offset + data[laidOut[i].name]!.byteCount)
            }
            headerBytes = Self.encodeHeader(Header(meta: meta, arrays: laidOut))
            if headerBytes.count <= guess { break }
            guess = headerBytes.count + 64
        }
        // Pad the header with spaces to its reserved size (JSON ignores trailing spaces).
        headerBytes += [UInt8](repeating: 0x20, count: guess - headerBytes.count)
        var head = Self.magic
        withUnsafeBytes(of: UInt64(headerBytes.count).littleEndian) { head += $0 }
        head += headerBytes
        head.withUnsafeBytes(body)
        var written = head.count
        let zeros = [UInt8](repeating: 0, count: 64)
        for entry in laidOut {
            zeros.withUnsafeBytes { body(UnsafeRawBufferPointer(rebasing: $0[0..<(entry.offset - written)])) }
            data[entry.name]!.withUnsafeBytes { body($0) }
            written = entry.offset + data[entry.name]!.byteCount
        }
    }

    /// Writes the file to a new temporary file beside `path`, straight from the arrays, without `fsync`;
    /// returns its path. For ``write(to:)`` and for a ``CommitQueue``, which syncs and renames it.
    public func writeTemporary(for path: String) throws(ReduceError) -> String {
        do {
            return try AtomicFile.writeTemporary(for: path) {
                (write: (UnsafeRawBufferPointer) throws(FileError) -> Void) throws(FileError) in
                var failure: FileError?
                forEachPiece { piece in
                    guard failure == nil else { return }
                    do throws(FileError) { try write(piece) } catch { failure = error }
                }
                if let failure { throw failure }
            }
        } catch {
            throw ReduceError.writing(path, error)
        }
    }

    /// Writes the file atomically (temporary file, fsync, rename).
    public func write(to path: String) throws(ReduceError) {
        let temporary = try writeTemporary(for: path)
        do {
            try AtomicFile.sync(path: temporary)
            try AtomicFile.commit(temporary: temporary, to: path)
        } catch {
            unlink(temporary)
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
        guard header.format == "tagood-arrays", header.version == 1 || header.version == 2 else {
            throw damaged("format \(header.format) v\(header.version)")
        }
        // Version 2 ends with the XXH3 of every byte before it.
        var contentEnd = bytes.count
        if header.version == 2 {
            guard bytes.count >= 16 + length + 8 else { throw damaged("no checksum at its end") }
            contentEnd = bytes.count - 8
            let stored = bytes[contentEnd...].withUnsafeBytes {
                UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self))
            }
            let hash = XXH3()
            bytes.withUnsafeBytes { hash.update(UnsafeRawBufferPointer(rebasing: $0[0..<contentEnd])) }
            let computed = hash.digest()
            guard stored == computed else {
                throw damaged(
                    "checksum mismatch: XXH3 \(hex(computed)), written \(hex(stored)); its bytes changed after it was written"
                )
            }
        }
        var file = ArrayFile(meta: header.meta)
        var end = 16 + length
        for entry in header.arrays {
            guard let size = elementSize(entry.dtype), entry.shape.allSatisfy({ $0 >= 0 }) else {
                throw damaged("array \(entry.name) has dtype \(entry.dtype) shape \(entry.shape)")
            }
            let count = entry.shape.reduce(1, *) * size
            guard entry.offset >= 16 + length, entry.offset + count <= contentEnd else {
                throw damaged("array \(entry.name) runs past the end of the file")
            }
            file.entries.append(entry)
            file.data[entry.name] = .bytes(Array(bytes[entry.offset..<(entry.offset + count)]))
            end = max(end, entry.offset + count)
        }
        // A version-1 file (no checksum) ends where its last array ends: bytes after it mean a damaged
        // version 2 (its version digit changed) or an append.
        guard header.version == 2 || end == bytes.count else {
            throw damaged("\(bytes.count - end) bytes after its last array")
        }
        return file
    }

    /// 16 lowercase hex digits.
    static func hex(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
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
        guard let entry = entries.first(where: { $0.name == name }), entry.dtype == dtype, let raw = data[name] else {
            return nil
        }
        let count = raw.byteCount / MemoryLayout<T>.size
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
