import Coordination
import Job
import Launch
import Logging
import TagoodSupport
import Transport

/// The coordinator's ROUTER socket, bound to a cluster file's endpoint with CURVE on (there is no
/// insecure mode), and the endpoint workers connect to.
///
/// Only a peer that holds the job's worker credential completes the handshake (``ZAPHandler``); any
/// other gets no reply and has no effect. A peer whose message is larger than
/// ``ProtocolMessage/maxWorkerMessageBytes`` is disconnected before the message is buffered. Peers without
/// keys cannot exhaust the coordinator's descriptors: its limit is raised to the hard limit, at most
/// ``connectionLimit`` connections are kept (``ConnectionGuard``), and a handshake must complete within
/// ``handshakeTimeoutMilliseconds``.
public final class BoundSocket: @unchecked Sendable {
    public let context: ZMQContext
    public let socket: ZMQSocket
    /// Accepts the job's worker key, and only it.
    public let authenticator: ZAPHandler
    /// `tcp://<advertise>:<bound port>`.
    public let endpoint: String
    /// Shuts down connections beyond ``connectionLimit`` (``ConnectionGuard``).
    public let connections: ConnectionGuard
    /// The most TCP connections the socket keeps at once: half the descriptors this process may open
    /// (after raising its limit to the hard limit), and not more than `max_workers` + 256.
    public let connectionLimit: Int
    /// How long a connection may take to complete its CURVE handshake before it is dropped.
    public static let handshakeTimeoutMilliseconds: Int32 = 5_000

    /// Binds `cluster`'s coordinator endpoint with the job's `keys`. A busy port is an error naming the
    /// cluster file and key. Binding beyond loopback is logged with the interfaces it exposes.
    public init(cluster: ClusterSpec, keys: JobKeys, logger: Logger? = nil) throws {
        // Outsiders can open connections, each a descriptor: take every descriptor the system allows,
        // bound the connections to half of them, and drop those that do not complete a handshake soon.
        let descriptors = DescriptorLimit.raiseToHardLimit()
        connectionLimit = max(16, min(descriptors / 2, cluster.maxWorkers + 256))
        context = ZMQContext()
        authenticator = try ZAPHandler(context: context, clientKeys: [keys.worker.keys.publicKey])
        socket = try ZMQSocket(context, .router)
        try socket.enableCurve(.server(keys: keys.coordinator))
        try socket.setMaximumMessageSize(ProtocolMessage.maxWorkerMessageBytes)
        try socket.setHandshakeTimeout(milliseconds: Self.handshakeTimeoutMilliseconds)
        connections = try ConnectionGuard(context: context, socket: socket, limit: connectionLimit)
        let bound: String
        do {
            bound = try socket.bind(cluster.bindEndpoint)
        } catch {
            throw ConfigError(file: cluster.file, line: nil, key: "coordinator.port", problem: error.description)
        }
        let port = bound.split(separator: ":").last.map(String.init) ?? String(cluster.port)
        endpoint = "tcp://\(cluster.advertise):\(port)"
        if !cluster.bindsLoopbackOnly, let logger {
            logger.notice(
                "the coordinator listens on \(bound) (\(cluster.exposedInterfaces)): CURVE-authenticated; only holders of the job's keys/worker.key can connect"
            )
        }
    }

    deinit {
        socket.close()
        connections.stop()
        authenticator.stop() // before the context is terminated
    }
}
