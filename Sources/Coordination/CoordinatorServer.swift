import Job
import TagoodSupport
import Transport

/// Runs a ``Coordinator`` on a bound ROUTER socket: receives frames, feeds them to the coordinator,
/// lets it expire leases and decide when the run is over, and sends the replies each ``Coordinator/flush()``
/// returns. Stop requests come from `stopRequests` (``SignalMonitor`` in the CLI: the first asks for a
/// graceful stop, the second for an immediate one).
///
/// ``run()`` blocks the calling thread, which must be a dedicated thread (the main thread of `tagood
/// launch` / `resume`), never the Swift concurrency pool.
public final class CoordinatorServer {
    public let coordinator: Coordinator
    private let socket: ZMQSocket
    private let time: any TimeSource
    private let stopRequests: () -> Int
    /// Called about four times a second with the state and the running attempts' progress.
    public var onTick: (JobState, [ShardID: Int]) -> Void = { _, _ in }

    public init(
        coordinator: Coordinator, socket: ZMQSocket, time: any TimeSource = SystemTime(),
        stopRequests: @escaping () -> Int = { SignalMonitor.received }
    ) {
        self.coordinator = coordinator
        self.socket = socket
        self.time = time
        self.stopRequests = stopRequests
    }

    /// Runs until the coordinator says the run is over.
    public func run() throws -> Coordinator.Outcome {
        try coordinator.start()
        try send(coordinator.flush())
        var lastTick = -Double.infinity
        let pollMilliseconds = max(10, min(100, Int(coordinator.settings.heartbeatSeconds * 250)))
        while true {
            let signals = stopRequests()
            if signals >= 1 { coordinator.requestStop(immediately: signals >= 2) }
            if let outcome = try coordinator.finishIfDone() {
                try send(coordinator.flush())
                onTick(coordinator.state, [:])
                return outcome
            }
            // Handle every message that is waiting (up to a bound), then commit the journal once.
            var timeout = pollMilliseconds
            for _ in 0..<256 {
                guard let (frames, connection) = try socket.receiveWithConnection(timeoutMilliseconds: timeout) else {
                    break
                }
                if frames.count == 2 { try coordinator.receive(frames[1], from: frames[0], connection: connection) }
                timeout = 0
            }
            try send(coordinator.flush())
            let now = time.monotonic()
            if now - lastTick >= 0.25 {
                lastTick = now
                onTick(coordinator.state, coordinator.runningProgress)
            }
        }
    }

    private func send(_ replies: [(peer: Coordinator.Peer, message: ProtocolMessage)]) throws {
        for (peer, message) in replies {
            // A worker that vanished cannot be routed to (ROUTER_MANDATORY): that is not the job's failure.
            try? socket.send([peer, message.encoded()])
        }
    }
}
