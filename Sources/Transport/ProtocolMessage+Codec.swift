import Foundation

extension ProtocolMessage {
    private struct Envelope<Body: Encodable>: Encodable {
        var v: Int
        var type: String
        var body: Body?
    }

    private struct Header: Decodable {
        var v: Int?
        var type: String?
    }

    private struct Body<T: Decodable>: Decodable {
        var body: T
    }

    /// The message as one JSON frame.
    public func encoded() -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        func wrap<T: Encodable>(_ body: T?) -> [UInt8] {
            // Encoding these plain structs cannot fail.
            Array(try! encoder.encode(Envelope(v: Self.version, type: type, body: body)))
        }
        switch self {
        case .hello(let b): return wrap(b)
        case .welcome(let b): return wrap(b)
        case .refused(let b): return wrap(b)
        case .ready: return wrap(Optional<Idle>.none)
        case .assign(let b): return wrap(b)
        case .idle(let b): return wrap(b)
        case .heartbeat(let b): return wrap(b)
        case .done(let b): return wrap(b)
        case .failed(let b): return wrap(b)
        case .shutdown(let b): return wrap(b)
        }
    }

    /// Decodes a frame, checking the protocol version first.
    public init(decoding frame: [UInt8]) throws(TransportError) {
        let data = Data(frame)
        let decoder = JSONDecoder()
        guard let header = try? decoder.decode(Header.self, from: data), let v = header.v, let type = header.type else {
            throw TransportError(
                .malformed, "received a message that is not a tagood protocol frame (\(frame.count) bytes)")
        }
        guard v == Self.version else {
            throw TransportError(
                .versionMismatch,
                "peer speaks tagood protocol version \(v), this build speaks version \(Self.version): run the same tagood version on the coordinator and every worker"
            )
        }
        func body<T: Decodable>(_: T.Type) throws(TransportError) -> T {
            do {
                return try decoder.decode(Body<T>.self, from: data).body
            } catch {
                throw TransportError(.malformed, "malformed '\(type)' message: \(error)")
            }
        }
        switch type {
        case "hello": self = .hello(try body(Hello.self))
        case "welcome": self = .welcome(try body(Welcome.self))
        case "refused": self = .refused(try body(Refused.self))
        case "ready": self = .ready
        case "assign": self = .assign(try body(Assign.self))
        case "idle": self = .idle(try body(Idle.self))
        case "heartbeat": self = .heartbeat(try body(Heartbeat.self))
        case "done": self = .done(try body(Done.self))
        case "failed": self = .failed(try body(Failed.self))
        case "shutdown": self = .shutdown(try body(Shutdown.self))
        default: throw TransportError(.malformed, "unknown message type '\(type)'")
        }
    }
}
