import TagoodSupport

/// A ZeroMQ or protocol failure.
public struct TransportError: TagoodError {
    public enum Kind: String, Sendable {
        case socket = "transport.socket"
        case bind = "transport.bind"
        case connect = "transport.connect"
        case send = "transport.send"
        case receive = "transport.receive"
        case malformed = "transport.malformed"
        case versionMismatch = "transport.version-mismatch"
    }

    public let kind: Kind
    public let message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var code: String { kind.rawValue }
    public var description: String { message }
}
