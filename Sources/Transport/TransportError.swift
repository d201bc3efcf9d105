import TagoodSupport

/// A ZeroMQ or protocol failure.
public typealias TransportError = CodedError<TransportErrorKind>

/// The kinds of ``TransportError`` (codes `transport.<raw value>`): the ZeroMQ call of that name failed,
/// a frame is not a protocol message, or the peer speaks another protocol version.
public enum TransportErrorKind: String, ErrorKind {
    public static let domain = "transport"
    case socket, bind, connect, send, receive, malformed, versionMismatch = "version-mismatch"
}
