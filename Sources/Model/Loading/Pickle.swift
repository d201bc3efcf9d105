/// The subset of Python's pickle that `torch.save` state dicts use (protocols 2–5 opcodes), evaluated
/// without running any code: globals are names, `REDUCE` builds only what the reader knows (ordered
/// dicts, tensors, parameters) and keeps everything else as an opaque object.
final class PickleList { var items: [PickleValue] = [] }
final class PickleDict { var items: [(PickleValue, PickleValue)] = [] }

/// A storage named by a persistent id: `("storage", torch.FloatStorage, key, location, numel)`.
struct PickleStorage {
    let dtype: DType?
    let typeName: String
    let key: String
}

/// A tensor view on a storage: `_rebuild_tensor_v2(storage, offset, size, stride, ...)`.
struct PickleTensor {
    let storage: PickleStorage
    let offset: Int
    let shape: [Int]
    let strides: [Int]
}

indirect enum PickleValue {
    case none
    case bool(Bool)
    case int(Int)
    case float(Double)
    case string(String)
    case bytes([UInt8])
    case tuple([PickleValue])
    case list(PickleList)
    case dict(PickleDict)
    case global(module: String, name: String)
    case object(module: String, name: String)
    case storage(PickleStorage)
    case tensor(PickleTensor)
    case mark

    var intValue: Int? { if case .int(let i) = self { return i }; return nil }
    var stringValue: String? { if case .string(let s) = self { return s }; return nil }
    var sequence: [PickleValue]? {
        switch self {
        case .tuple(let t): t
        case .list(let l): l.items
        default: nil
        }
    }
}

struct PickleReader {
    struct Failure: Error { let reason: String }

    static func storageDType(_ name: String) -> DType? {
        switch name {
        case "FloatStorage": .f32
        case "HalfStorage": .f16
        case "BFloat16Storage": .bf16
        case "DoubleStorage": .f64
        case "LongStorage": .i64
        case "IntStorage": .i32
        case "ShortStorage": .i16
        case "CharStorage": .i8
        case "ByteStorage": .u8
        case "BoolStorage": .bool
        default: nil
        }
    }

    static func load(_ data: UnsafeRawBufferPointer) throws(Failure) -> PickleValue {
        var stack: [PickleValue] = []
        var marks: [Int] = []
        var memo: [Int: PickleValue] = [:]
        var i = 0
        let n = data.count

        func need(_ k: Int) throws(Failure) { if k < 0 || k > n - i { throw Failure(reason: "truncated pickle") } }
        func u8() throws(Failure) -> Int { try need(1); defer { i += 1 }; return Int(data[i]) }
        func le(_ k: Int) throws(Failure) -> UInt64 {
            try need(k)
            var v: UInt64 = 0
            for j in 0..<k { v |= UInt64(data[i + j]) << (8 * UInt64(j)) }
            i += k
            return v
        }
        /// A little-endian length of `k` bytes that must fit the rest of the data (never traps on a huge one).
        func size(_ k: Int) throws(Failure) -> Int {
            let v = try le(k)
            guard v <= UInt64(n - i) else {
                throw Failure(reason: "a length of \(v) bytes runs past the end of the pickle")
            }
            return Int(v)
        }
        func raw(_ k: Int) throws(Failure) -> [UInt8] {
            guard k >= 0 else { throw Failure(reason: "negative length") }
            try need(k)
            defer { i += k }
            return Array(data[i..<(i + k)])
        }
        func line() throws(Failure) -> String {
            var out: [UInt8] = []
            while true {
                try need(1)
                let c = data[i]; i += 1
                if c == 0x0A { break }
                out.append(c)
            }
            return String(decoding: out, as: UTF8.self)
        }
        func pop() throws(Failure) -> PickleValue {
            guard let v = stack.popLast() else { throw Failure(reason: "stack underflow") }
            return v
        }
        func popMark() throws(Failure) -> [PickleValue] {
            guard let m = marks.popLast(), m <= stack.count else { throw Failure(reason: "missing MARK") }
            let items = Array(stack[m...])
            stack.removeSubrange(m...)
            return items
        }
        func top() throws(Failure) -> PickleValue {
            guard let v = stack.last else { throw Failure(reason: "stack underflow") }
            return v
        }
        func setItems(_ target: PickleValue, _ items: [PickleValue]) throws(Failure) {
            guard case .dict(let d) = target, items.count % 2 == 0 else {
                if case .object = target { return }
                throw Failure(reason: "SETITEMS on a non-dict")
            }
            var k = 0
            while k < items.count { d.items.append((items[k], items[k + 1])); k += 2 }
        }
        func appendItems(_ target: PickleValue, _ items: [PickleValue]) throws(Failure) {
            guard case .list(let l) = target else {
                if case .object = target { return }
                throw Failure(reason: "APPENDS on a non-list")
            }
            l.items.append(contentsOf: items)
        }
        func ints(_ v: PickleValue, _ what: String) throws(Failure) -> [Int] {
            guard let seq = v.sequence else { throw Failure(reason: "\(what) is not a tuple") }
            var out: [Int] = []
            for x in seq {
                guard let i = x.intValue else { throw Failure(reason: "\(what) is not a tuple of ints") }
                out.append(i)
            }
            return out
        }
        func reduce(_ callable: PickleValue, _ args: PickleValue) throws(Failure) -> PickleValue {
            guard case let .global(module, name) = callable else { return .object(module: "?", name: "?") }
            let a = args.sequence ?? []
            switch (module, name) {
            case ("collections", "OrderedDict"), ("builtins", "dict"), ("__builtin__", "dict"):
                let d = PickleDict()
                if let first = a.first, let pairs = first.sequence {
                    for p in pairs { if let kv = p.sequence, kv.count == 2 { d.items.append((kv[0], kv[1])) } }
                }
                return .dict(d)
            case ("torch._utils", "_rebuild_tensor_v2"), ("torch._utils", "_rebuild_tensor"):
                guard a.count >= 4, case .storage(let s) = a[0], let offset = a[1].intValue else {
                    throw Failure(reason: "\(name) with unexpected arguments")
                }
                return .tensor(
                    PickleTensor(
                        storage: s, offset: offset, shape: try ints(a[2], "size"), strides: try ints(a[3], "stride")))
            case ("torch._utils", "_rebuild_parameter"), ("torch._utils", "_rebuild_parameter_with_state"):
                guard let data = a.first else { throw Failure(reason: "\(name) without data") }
                return data
            default:
                return .object(module: module, name: name)
            }
        }

        while true {
            let op = try u8()
            switch op {
            case 0x80: _ = try u8() // PROTO
            case 0x95: _ = try le(8) // FRAME
            case 0x2E: // STOP
                guard let result = stack.last else { throw Failure(reason: "empty stack at STOP") }
                return result
            case 0x28: marks.append(stack.count) // MARK
            case 0x7D: stack.append(.dict(PickleDict())) // EMPTY_DICT
            case 0x5D: stack.append(.list(PickleList())) // EMPTY_LIST
            case 0x29: stack.append(.tuple([])) // EMPTY_TUPLE
            case 0x8F: stack.append(.list(PickleList())) // EMPTY_SET (as a list)
            case 0x4E: stack.append(.none) // NONE
            case 0x88: stack.append(.bool(true))
            case 0x89: stack.append(.bool(false))
            case 0x4B: stack.append(.int(try u8())) // BININT1
            case 0x4D: stack.append(.int(Int(try le(2)))) // BININT2
            case 0x4A: stack.append(.int(Int(Int32(truncatingIfNeeded: try le(4))))) // BININT
            case 0x8A, 0x8B: // LONG1, LONG4
                let k = op == 0x8A ? try u8() : Int(try le(4))
                let bytes = try raw(k)
                guard k <= 8 else { stack.append(.int(0)); break }
                var v: UInt64 = 0
                for (j, b) in bytes.enumerated() { v |= UInt64(b) << (8 * UInt64(j)) }
                if k > 0, k < 8, bytes[k - 1] & 0x80 != 0 { v |= ~0 << (8 * UInt64(k)) }
                stack.append(.int(Int(truncatingIfNeeded: v)))
            case 0x49: // INT (text)
                let s = try line()
                if s == "01" {
                    stack.append(.bool(true))
                } else if s == "00" {
                    stack.append(.bool(false))
                } else {
                    stack.append(.int(Int(s) ?? 0))
                }
            case 0x4C: // LONG (text)
                var s = try line()
                if s.hasSuffix("L") { s.removeLast() }
                stack.append(.int(Int(s) ?? 0))
            case 0x47: stack.append(.float(Double(bitPattern: (try le(8)).byteSwapped))) // BINFLOAT (big-endian)
            case 0x46: stack.append(.float(Double(try line()) ?? 0)) // FLOAT (text)
            case 0x58: stack.append(.string(String(decoding: try raw(Int(try le(4))), as: UTF8.self))) // BINUNICODE
            case 0x8C: stack.append(.string(String(decoding: try raw(try u8()), as: UTF8.self))) // SHORT_BINUNICODE
            case 0x8D: stack.append(.string(String(decoding: try raw(try size(8)), as: UTF8.self))) // BINUNICODE8
            case 0x56: stack.append(.string(try line())) // UNICODE (raw-unicode-escape; ASCII assumed)
            case 0x54: stack.append(.string(String(decoding: try raw(Int(try le(4))), as: UTF8.self))) // BINSTRING
            case 0x55: stack.append(.string(String(decoding: try raw(try u8()), as: UTF8.self))) // SHORT_BINSTRING
            case 0x42: stack.append(.bytes(try raw(Int(try le(4))))) // BINBYTES
            case 0x43: stack.append(.bytes(try raw(try u8()))) // SHORT_BINBYTES
            case 0x8E: stack.append(.bytes(try raw(try size(8)))) // BINBYTES8
            case 0x96: stack.append(.bytes(try raw(try size(8)))) // BYTEARRAY8
            case 0x71: memo[try u8()] = try top() // BINPUT
            case 0x72: memo[Int(try le(4))] = try top() // LONG_BINPUT
            case 0x94: memo[memo.count] = try top() // MEMOIZE
            case 0x70: memo[Int(try line()) ?? -1] = try top() // PUT
            case 0x68, 0x6A, 0x67: // BINGET, LONG_BINGET, GET
                let key = op == 0x68 ? try u8() : op == 0x6A ? Int(try le(4)) : (Int(try line()) ?? -1)
                guard let v = memo[key] else { throw Failure(reason: "memo key \(key) missing") }
                stack.append(v)
            case 0x63: // GLOBAL
                let module = try line(), name = try line()
                stack.append(.global(module: module, name: name))
            case 0x93: // STACK_GLOBAL
                let name = try pop(), module = try pop()
                stack.append(.global(module: module.stringValue ?? "?", name: name.stringValue ?? "?"))
            case 0x74: stack.append(.tuple(try popMark())) // TUPLE
            case 0x85: stack.append(.tuple([try pop()])) // TUPLE1
            case 0x86: let b = try pop(), a = try pop(); stack.append(.tuple([a, b])) // TUPLE2
            case 0x87: let c = try pop(), b = try pop(), a = try pop(); stack.append(.tuple([a, b, c])) // TUPLE3
            case 0x6C: let l = PickleList(); l.items = try popMark(); stack.append(.list(l)) // LIST
            case 0x64: // DICT
                let items = try popMark()
                let d = PickleDict()
                try setItems(.dict(d), items)
                stack.append(.dict(d))
            case 0x61: let v = try pop(); try appendItems(try top(), [v]) // APPEND
            case 0x65: let items = try popMark(); try appendItems(try top(), items) // APPENDS
            case 0x90: let items = try popMark(); try appendItems(try top(), items) // ADDITEMS
            case 0x91: _ = try popMark(); stack.append(.list(PickleList())) // FROZENSET
            case 0x73: let v = try pop(), k = try pop(); try setItems(try top(), [k, v]) // SETITEM
            case 0x75: let items = try popMark(); try setItems(try top(), items) // SETITEMS
            case 0x52: let args = try pop(), callable = try pop(); stack.append(try reduce(callable, args)) // REDUCE
            case 0x81: // NEWOBJ
                _ = try pop()
                let cls = try pop()
                let made = try reduce(cls, .tuple([]))
                stack.append(made)
            case 0x92: // NEWOBJ_EX
                _ = try pop(); _ = try pop()
                let cls = try pop()
                if case let .global(m, nm) = cls {
                    stack.append(.object(module: m, name: nm))
                } else {
                    stack.append(.object(module: "?", name: "?"))
                }
            case 0x62: _ = try pop() // BUILD: the state is dropped; dicts and tensors need none
            case 0x51: // BINPERSID
                let pid = try pop()
                guard let t = pid.sequence, t.count >= 3, t[0].stringValue == "storage",
                    case let .global(_, typeName) = t[1],
                    let key = t[2].stringValue
                else {
                    throw Failure(reason: "unsupported persistent id")
                }
                stack.append(.storage(PickleStorage(dtype: storageDType(typeName), typeName: typeName, key: key)))
            case 0x30: _ = try pop() // POP
            case 0x31: _ = try popMark() // POP_MARK
            case 0x32: stack.append(try top()) // DUP
            case 0x97: _ = try pop() // NEXT_BUFFER / READONLY_BUFFER: unsupported content
            default:
                throw Failure(reason: "unsupported pickle opcode 0x\(String(op, radix: 16)) at byte \(i - 1)")
            }
        }
    }
}

extension PickleValue {
    var isDict: Bool { if case .dict = self { return true }; return false }
}
