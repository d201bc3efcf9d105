import TagoodSupport

/// Writes PyTorch's `torch.save` zip format, the one `TorchCheckpoint` reads: `<archive>/data.pkl` (pickle
/// protocol 2), one stored member `<archive>/data/<key>` per tensor (raw little-endian float32, aligned to
/// 64 bytes as PyTorch aligns them), `<archive>/byteorder` (`little`) and `<archive>/version` (`3`).
///
/// Only what `torch.load(weights_only=True)` accepts is written: `None`, booleans, integers, floats, strings,
/// lists, tuples, dicts, `collections.OrderedDict` and float32 tensors, rebuilt with
/// `torch._utils._rebuild_tensor_v2` from persistent ids `('storage', torch.FloatStorage, key, 'cpu', numel)`.
public enum TorchSave {
    /// A value of the pickled tree.
    public indirect enum Value: Sendable {
        case none
        case bool(Bool)
        case int(Int)
        case float(Double)
        case string(String)
        /// A contiguous float32 tensor (`shape` `[]` for a scalar).
        case tensor(shape: [Int], scalars: [Float])
        case list([Value])
        case tuple([Value])
        /// A plain `dict`, keys in this order.
        case dict([(Value, Value)])
        /// A `collections.OrderedDict` with string keys, as `state_dict()` returns.
        case orderedDict([(String, Value)])
    }

    /// The bytes of a `torch.save` file holding `root`; `archive` is the folder inside the zip.
    public static func encode(_ root: Value, archive: String = "archive") -> [UInt8] {
        var writer = PickleWriter()
        writer.out = [0x80, 2] // PROTO 2
        writer.put(root)
        writer.out.append(0x2E) // STOP
        var zip = StoredZip()
        zip.add(archive + "/data.pkl", writer.out)
        zip.add(archive + "/byteorder", Array("little".utf8))
        for (key, scalars) in writer.storages {
            var data = [UInt8](repeating: 0, count: scalars.count * 4)
            data.withUnsafeMutableBytes { raw in
                for (i, v) in scalars.enumerated() {
                    raw.storeBytes(of: v.bitPattern.littleEndian, toByteOffset: i * 4, as: UInt32.self)
                }
            }
            zip.add(archive + "/data/" + key, data, alignment: 64)
        }
        zip.add(archive + "/version", Array("3\n".utf8))
        return zip.finished()
    }

    /// Writes `root` to `path` atomically (temporary file, fsync, rename).
    public static func write(_ root: Value, to path: String) throws(ModelError) {
        do { try AtomicFile.write(encode(root), to: path) } catch {
            throw .malformed(file: path, reason: "cannot write the checkpoint: \(error)")
        }
    }
}

/// The pickle opcodes of protocol 2 that `TorchSave` needs; storages are collected in write order.
private struct PickleWriter {
    var out: [UInt8] = []
    var storages: [(String, [Float])] = []

    mutating func global(_ module: String, _ name: String) {
        out.append(0x63) // GLOBAL
        out += Array("\(module)\n\(name)\n".utf8)
    }

    mutating func tuple(_ items: [TorchSave.Value]) {
        if items.isEmpty { out.append(0x29); return } // EMPTY_TUPLE
        out.append(0x28) // MARK
        for item in items { put(item) }
        out.append(0x74) // TUPLE
    }

    mutating func put(_ value: TorchSave.Value) {
        switch value {
        case .none: out.append(0x4E)
        case .bool(let b): out.append(b ? 0x88 : 0x89)
        case .int(let i):
            if i >= 0 && i < 256 {
                out += [0x4B, UInt8(i)] // BININT1
            } else if let small = Int32(exactly: i) {
                out.append(0x4A) // BININT
                withUnsafeBytes(of: small.littleEndian) { out += $0 }
            } else {
                out += [0x8A, 8] // LONG1, 8 bytes two's complement
                withUnsafeBytes(of: Int64(i).littleEndian) { out += $0 }
            }
        case .float(let d):
            out.append(0x47) // BINFLOAT, big-endian
            withUnsafeBytes(of: d.bitPattern.bigEndian) { out += $0 }
        case .string(let s):
            let utf8 = Array(s.utf8)
            out.append(0x58) // BINUNICODE
            withUnsafeBytes(of: UInt32(utf8.count).littleEndian) { out += $0 }
            out += utf8
        case .tensor(let shape, let scalars):
            let key = String(storages.count)
            storages.append((key, scalars))
            global("torch._utils", "_rebuild_tensor_v2")
            out.append(0x28) // MARK: the arguments
            out.append(0x28) // MARK: the persistent id ('storage', torch.FloatStorage, key, 'cpu', numel)
            put(.string("storage"))
            global("torch", "FloatStorage")
            put(.string(key))
            put(.string("cpu"))
            put(.int(scalars.count))
            out.append(0x74) // TUPLE
            out.append(0x51) // BINPERSID
            put(.int(0))
            tuple(shape.map { .int($0) })
            var strides = [Int](repeating: 1, count: shape.count)
            var acc = 1
            for i in stride(from: shape.count - 1, through: 0, by: -1) { strides[i] = acc; acc *= shape[i] }
            tuple(strides.map { .int($0) })
            out.append(0x89) // requires_grad False
            global("collections", "OrderedDict")
            out += [0x29, 0x52] // EMPTY_TUPLE, REDUCE: the backward hooks
            out.append(0x74) // TUPLE
            out.append(0x52) // REDUCE
        case .list(let items):
            out.append(0x5D) // EMPTY_LIST
            if !items.isEmpty {
                out.append(0x28)
                for item in items { put(item) }
                out.append(0x65) // APPENDS
            }
        case .tuple(let items): tuple(items)
        case .dict(let pairs):
            out.append(0x7D) // EMPTY_DICT
            setItems(pairs)
        case .orderedDict(let pairs):
            global("collections", "OrderedDict")
            out += [0x29, 0x52] // EMPTY_TUPLE, REDUCE
            setItems(pairs.map { (.string($0.0), $0.1) })
        }
    }

    mutating func setItems(_ pairs: [(TorchSave.Value, TorchSave.Value)]) {
        guard !pairs.isEmpty else { return }
        out.append(0x28) // MARK
        for (k, v) in pairs {
            put(k)
            put(v)
        }
        out.append(0x75) // SETITEMS
    }

}
