import CZeroMQ
import Foundation
import Synchronization

/// ZeroMQ's authentication handler (ZAP, RFC 27) for one context: every CURVE handshake on a server
/// socket of the context asks it, and it accepts only the client public keys it was given. Any other
/// peer never completes the handshake: it gets no reply and has no effect.
///
/// Each accepted handshake gets its own `User-Id` (`peer-<n>`), which ZeroMQ attaches to every message
/// of that connection (``ZMQSocket/receiveWithConnection(timeoutMilliseconds:)``): the workers share one
/// key, so the key alone cannot tell a worker's connection from a later one that took its routing id.
///
/// It runs on a thread of its own with a REP socket bound to `inproc://zeromq.zap.01`; ``stop()`` it
/// (or release it) before the context is terminated.
public final class ZAPHandler: @unchecked Sendable {
    /// The ZAP domain tagood's server sockets use.
    public static let domain = "tagood"

    private let allowed: Set<[UInt8]>
    private let stopping = Atomic<Bool>(false)
    private let refusedCount = Atomic<Int>(0)
    private var accepted = 0
    private let finished = DispatchSemaphore(value: 0)
    private var running = false

    /// Binds the handler on `context` and starts its thread; `clientKeys` are the Z85 public keys to accept.
    public init(context: ZMQContext, clientKeys: [String]) throws(TransportError) {
        allowed = Set(clientKeys.compactMap(CurveKeyPair.decode))
        let socket = try ZMQSocket(context, .rep)
        try socket.bind("inproc://zeromq.zap.01")
        running = true
        // The socket moves to the handler's thread here and is used by no other.
        let thread = Thread { [self] in
            serve(socket)
            socket.close()
            finished.signal()
        }
        thread.name = "tagood-zap"
        thread.start()
    }

    deinit { stop() }

    /// How many handshakes were refused so far (wrong or unknown keys).
    public var refused: Int { refusedCount.load(ordering: .relaxed) }

    /// Stops the thread and closes its socket; waits for it. Further calls do nothing.
    public func stop() {
        guard running else { return }
        running = false
        stopping.store(true, ordering: .relaxed)
        finished.wait()
    }

    private func serve(_ socket: ZMQSocket) {
        while !stopping.load(ordering: .relaxed) {
            guard let request = try? socket.receive(timeoutMilliseconds: 100) else { continue }
            // version, request id, domain, address, routing id, mechanism, credentials...
            let ok =
                request.count >= 7 && request[0] == Array("1.0".utf8) && request[5] == Array("CURVE".utf8)
                && allowed.contains(request[6])
            if ok { accepted += 1 } else { refusedCount.add(1, ordering: .relaxed) }
            let requestID = request.count > 1 ? request[1] : []
            let reply: [[UInt8]] = [
                Array("1.0".utf8), requestID, Array((ok ? "200" : "400").utf8),
                Array((ok ? "OK" : "unknown key").utf8), Array((ok ? "peer-\(accepted)" : "").utf8), []
            ]
            try? socket.send(reply)
        }
    }
}
