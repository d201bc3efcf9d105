import TagoodSupport

/// A ZeroMQ or protocol failure.
public typealias TransportError = CodedError<TransportErrorKind>

/// The kinds of ``TransportError``; each raw value is the error code.
public enum TransportErrorKind: String, Sendable, Equatable {
    case socket = "transport.socket"
    case bind = "transport.bind"
    case connect = "transport.connect"
    case send = "transport.send"
    case receive = "transport.receive"
    case malformed = "transport.malformed"
    case versionMismatch = "transport.version-mismatch"
}
