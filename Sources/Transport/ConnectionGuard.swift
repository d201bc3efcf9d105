import CZeroMQ
import Foundation
import Synchronization

/// Bounds the TCP connections a bound socket holds, whoever opens them. ZeroMQ accepts every connection
/// and keeps it (and its file descriptor) until its handshake completes or times out, so peers without
/// any key could otherwise exhaust the process's descriptors by opening idle connections, and the
/// coordinator could no longer open the files it verifies. The guard watches the socket's accepted and
/// closed connections (`zmq_socket_monitor`) on a thread of its own, and shuts down at once every
/// connection accepted while `limit` are open: connections that are up (the workers') are never touched,
/// and a worker whose connection is shut down reconnects by itself.
public final class ConnectionGuard: @unchecked Sendable {
    private let stopping = Atomic<Bool>(false)
    private let droppedCount = Atomic<Int>(0)
    private let finished = DispatchSemaphore(value: 0)
    private var running = false
    private static let counter = Atomic<Int>(0)

    /// Starts guarding `socket` (call on the thread that owns it, before it is bound).
    public init(context: ZMQContext, socket: ZMQSocket, limit: Int) throws(TransportError) {
        let endpoint = "inproc://tagood-connections-\(Self.counter.add(1, ordering: .relaxed).newValue)"
        try socket.monitor(endpoint, events: ZMQ_EVENT_ACCEPTED | ZMQ_EVENT_DISCONNECTED)
        let events = try ZMQSocket(context, .pair)
        try events.connect(endpoint)
        running = true
        // The PAIR socket moves to the guard's thread here and is used by no other.
        let thread = Thread { [self] in
            watch(events, limit: limit)
            events.close()
            finished.signal()
        }
        thread.name = "tagood-connections"
        thread.start()
    }

    deinit { stop() }

    /// How many connections were shut down because `limit` were open.
    public var dropped: Int { droppedCount.load(ordering: .relaxed) }

    /// Stops the thread and closes its socket; waits for it. Further calls do nothing.
    public func stop() {
        guard running else { return }
        running = false
        stopping.store(true, ordering: .relaxed)
        finished.wait()
    }

    private func watch(_ events: ZMQSocket, limit: Int) {
        var open = Set<Int32>()
        while !stopping.load(ordering: .relaxed) {
            // An event is two frames: 2 bytes of event and 4 of value (the descriptor), then the endpoint.
            guard let frames = try? events.receive(timeoutMilliseconds: 100), let head = frames.first,
                head.count >= 6
            else { continue }
            let event = Int32(UInt16(head[0]) | UInt16(head[1]) << 8)
            let fd = Int32(
                bitPattern: UInt32(head[2]) | UInt32(head[3]) << 8 | UInt32(head[4]) << 16 | UInt32(head[5]) << 24)
            if event == ZMQ_EVENT_ACCEPTED {
                if open.count >= limit {
                    // ZeroMQ's I/O thread sees the connection end and closes the descriptor itself.
                    shutdown(fd, Int32(SHUT_RDWR))
                    droppedCount.add(1, ordering: .relaxed)
                } else {
                    open.insert(fd)
                }
            } else if event == ZMQ_EVENT_DISCONNECTED {
                open.remove(fd)
            }
        }
    }
}
