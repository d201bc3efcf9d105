import Job
import Transport

/// The coordinator's ROUTER socket, bound to a cluster file's endpoint, and the endpoint workers
/// connect to.
public struct BoundSocket: @unchecked Sendable {
    public let context: ZMQContext
    public let socket: ZMQSocket
    /// `tcp://<advertise>:<bound port>`.
    public let endpoint: String

    /// Binds `cluster`'s coordinator endpoint. A busy port is an error naming the cluster file and key.
    public init(cluster: ClusterSpec) throws {
        context = ZMQContext()
        socket = try ZMQSocket(context, .router)
        let bound: String
        do {
            bound = try socket.bind(cluster.bindEndpoint)
        } catch {
            throw ConfigError(file: cluster.file, line: nil, key: "coordinator.port", problem: error.description)
        }
        let port = bound.split(separator: ":").last.map(String.init) ?? String(cluster.port)
        endpoint = "tcp://\(cluster.advertise):\(port)"
    }
}
