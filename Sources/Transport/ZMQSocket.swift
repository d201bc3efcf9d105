import CZeroMQ

#if canImport(Glibc)
import Glibc
#endif

/// One ZeroMQ socket, with multipart send/receive and poll timeouts.
///
/// A socket belongs to the one thread that uses it: run socket loops on a dedicated `Thread`, never on
/// the Swift concurrency pool (docs/native-libraries.md). `ZMQ_LINGER` is 0 so closing never blocks.
public final class ZMQSocket: @unchecked Sendable {
    /// The socket types tagood uses.
    public enum Kind: Sendable {
        case router, dealer, pair, rep

        var raw: Int32 {
            switch self {
            case .router: ZMQ_ROUTER
            case .dealer: ZMQ_DEALER
            case .pair: ZMQ_PAIR
            case .rep: ZMQ_REP
            }
        }
    }

    private var handle: UnsafeMutableRawPointer?
    public let kind: Kind
    /// Kept alive as long as the socket: `zmq_ctx_term` blocks until every socket of the context is closed.
    private let context: ZMQContext

    public init(_ context: ZMQContext, _ kind: Kind) throws(TransportError) {
        guard let socket = zmq_socket(context.handle, kind.raw) else {
            throw TransportError(.socket, "cannot create a ZeroMQ socket: \(Self.lastError())")
        }
        handle = socket
        self.kind = kind
        self.context = context
        try setOption(ZMQ_LINGER, 0)
        if kind == .router {
            // Report unroutable replies (a peer that vanished) instead of dropping them silently.
            try setOption(ZMQ_ROUTER_MANDATORY, 1)
        }
    }

    deinit { close() }

    /// Closes the socket; further calls fail.
    public func close() {
        if let handle { zmq_close(handle) }
        handle = nil
    }

    /// Sets an integer socket option.
    public func setOption(_ option: Int32, _ value: Int32) throws(TransportError) {
        var v = value
        guard zmq_setsockopt(try live(), option, &v, MemoryLayout<Int32>.size) == 0 else {
            throw TransportError(.socket, "cannot set socket option \(option): \(Self.lastError())")
        }
    }

    /// Sets a 64-bit integer socket option (such as `ZMQ_MAXMSGSIZE`).
    public func setOption(_ option: Int32, int64 value: Int64) throws(TransportError) {
        var v = value
        guard zmq_setsockopt(try live(), option, &v, MemoryLayout<Int64>.size) == 0 else {
            throw TransportError(.socket, "cannot set socket option \(option): \(Self.lastError())")
        }
    }

    /// Sets a string socket option (such as a Z85 CURVE key).
    public func setOption(_ option: Int32, string value: String) throws(TransportError) {
        let socket = try live()
        let rc = Array(value.utf8).withUnsafeBytes { zmq_setsockopt(socket, option, $0.baseAddress, $0.count) }
        guard rc == 0 else { throw TransportError(.socket, "cannot set socket option \(option): \(Self.lastError())") }
    }

    /// Turns CURVE on (before `bind`/`connect`): the connection is authenticated and encrypted, and a
    /// peer without the right keys never completes the handshake. A server also asks the context's ZAP
    /// handler (``ZAPHandler``) which client keys to accept.
    public func enableCurve(_ role: CurveRole) throws(TransportError) {
        switch role {
        case .server(let keys):
            try setOption(ZMQ_CURVE_SERVER, 1)
            try setOption(ZMQ_CURVE_SECRETKEY, string: keys.secretKey)
            try setOption(ZMQ_ZAP_DOMAIN, string: ZAPHandler.domain)
        case .client(let serverKey, let keys):
            try setOption(ZMQ_CURVE_SERVERKEY, string: serverKey)
            try setOption(ZMQ_CURVE_PUBLICKEY, string: keys.publicKey)
            try setOption(ZMQ_CURVE_SECRETKEY, string: keys.secretKey)
        }
    }

    /// Drops (and disconnects) any peer whose message is larger than `bytes`, before it is buffered.
    public func setMaximumMessageSize(_ bytes: Int) throws(TransportError) {
        try setOption(ZMQ_MAXMSGSIZE, int64: Int64(bytes))
    }

    /// Makes ``send(_:)`` fail after `milliseconds` instead of blocking when the message cannot be
    /// queued (a DEALER with no connection blocks forever by default).
    public func setSendTimeout(milliseconds: Int32) throws(TransportError) {
        try setOption(ZMQ_SNDTIMEO, milliseconds)
    }

    /// Publishes the socket's `events` (`ZMQ_EVENT_…`) on a PAIR socket bound to `endpoint` (`inproc://…`).
    public func monitor(_ endpoint: String, events: Int32) throws(TransportError) {
        guard zmq_socket_monitor(try live(), endpoint, events) == 0 else {
            throw TransportError(.socket, "cannot monitor the socket: \(Self.lastError())")
        }
    }

    /// Sets the routing identity a DEALER presents to a ROUTER.
    public func setIdentity(_ identity: [UInt8]) throws(TransportError) {
        let socket = try live()
        let rc = identity.withUnsafeBytes { zmq_setsockopt(socket, ZMQ_ROUTING_ID, $0.baseAddress, $0.count) }
        guard rc == 0 else { throw TransportError(.socket, "cannot set the routing id: \(Self.lastError())") }
    }

    /// Binds to an endpoint such as `tcp://127.0.0.1:5555` (port 0 or `*` picks a free port); returns
    /// the bound endpoint.
    @discardableResult
    public func bind(_ endpoint: String) throws(TransportError) -> String {
        guard zmq_bind(try live(), endpoint) == 0 else {
            let reason = Self.lastError()
            let hint =
                zmq_errno() == EADDRINUSE
                ? " (another process — perhaps an earlier coordinator — is using that port; stop it or choose another port)"
                : ""
            throw TransportError(.bind, "cannot bind \(endpoint): \(reason)\(hint)")
        }
        var buffer = [CChar](repeating: 0, count: 256)
        var size = buffer.count
        if zmq_getsockopt(try live(), ZMQ_LAST_ENDPOINT, &buffer, &size) == 0 {
            return String(cString: buffer)
        }
        return endpoint
    }

    /// Connects to an endpoint (ZeroMQ reconnects by itself if the peer is not up yet).
    public func connect(_ endpoint: String) throws(TransportError) {
        guard zmq_connect(try live(), endpoint) == 0 else {
            throw TransportError(.connect, "cannot connect to \(endpoint): \(Self.lastError())")
        }
    }

    /// Sends the frames of one message.
    public func send(_ frames: [[UInt8]]) throws(TransportError) {
        let socket = try live()
        for (i, frame) in frames.enumerated() {
            let flags: Int32 = i < frames.count - 1 ? ZMQ_SNDMORE : 0
            while true {
                let rc = frame.withUnsafeBytes { zmq_send(socket, $0.baseAddress, $0.count, flags) }
                if rc >= 0 { break }
                if zmq_errno() == EINTR { continue }
                throw TransportError(.send, "cannot send: \(Self.lastError())")
            }
        }
    }

    /// Waits up to `timeoutMilliseconds` (-1 = forever) for a message; nil on timeout.
    public func receive(timeoutMilliseconds: Int) throws(TransportError) -> [[UInt8]]? {
        guard try poll(timeoutMilliseconds: timeoutMilliseconds) else { return nil }
        return try receiveNow().frames
    }

    /// Like ``receive(timeoutMilliseconds:)``, with the `User-Id` the ZAP handler gave the connection the
    /// message came on (``ZAPHandler``: one per handshake), nil where there is none.
    public func receiveWithConnection(
        timeoutMilliseconds: Int
    ) throws(TransportError) -> (frames: [[UInt8]], connection: String?)? {
        guard try poll(timeoutMilliseconds: timeoutMilliseconds) else { return nil }
        return try receiveNow()
    }

    /// Drops a connection whose handshake has not completed after `milliseconds` (`ZMQ_HANDSHAKE_IVL`), so
    /// that an idle TCP connection holds a descriptor for that long at most.
    public func setHandshakeTimeout(milliseconds: Int32) throws(TransportError) {
        try setOption(ZMQ_HANDSHAKE_IVL, milliseconds)
    }

    /// Whether a message is waiting, waiting up to `timeoutMilliseconds`.
    public func poll(timeoutMilliseconds: Int) throws(TransportError) -> Bool {
        var item = zmq_pollitem_t(socket: try live(), fd: 0, events: Int16(ZMQ_POLLIN), revents: 0)
        let rc = zmq_poll(&item, 1, timeoutMilliseconds)
        if rc < 0 {
            if zmq_errno() == EINTR { return false }
            throw TransportError(.receive, "poll failed: \(Self.lastError())")
        }
        return rc > 0
    }

    /// Receives one whole message (all frames) and its last frame's `User-Id`. Blocks if none is waiting.
    private func receiveNow() throws(TransportError) -> (frames: [[UInt8]], connection: String?) {
        let socket = try live()
        var frames: [[UInt8]] = []
        var connection: String?
        // zmq_msg_t must not be copied after init: keep it on the heap (docs/native-libraries.md).
        let message = UnsafeMutablePointer<zmq_msg_t>.allocate(capacity: 1)
        defer { message.deallocate() }
        while true {
            zmq_msg_init(message)
            defer { zmq_msg_close(message) }
            var rc: Int32
            repeat { rc = zmq_msg_recv(message, socket, 0) } while rc < 0 && zmq_errno() == EINTR
            guard rc >= 0 else { throw TransportError(.receive, "cannot receive: \(Self.lastError())") }
            let size = zmq_msg_size(message)
            let data = zmq_msg_data(message)!
            frames.append(Array(UnsafeRawBufferPointer(start: data, count: size)))
            if zmq_msg_more(message) == 0 {
                connection = zmq_msg_gets(message, "User-Id").map { String(cString: $0) }
                break
            }
        }
        return (frames, connection)
    }

    private func live() throws(TransportError) -> UnsafeMutableRawPointer {
        guard let handle else { throw TransportError(.socket, "the socket is closed") }
        return handle
    }

    static func lastError() -> String { String(cString: zmq_strerror(zmq_errno())) }
}
