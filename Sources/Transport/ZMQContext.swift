import CZeroMQ

/// A ZeroMQ context: one per process, shared by its sockets (it is thread-safe; sockets are not).
public final class ZMQContext: @unchecked Sendable {
    let handle: UnsafeMutableRawPointer

    public init() {
        handle = zmq_ctx_new()
    }

    deinit {
        zmq_ctx_term(handle)
    }

    /// The linked libzmq version, e.g. "4.3.4".
    public static var libraryVersion: String {
        var major: Int32 = 0, minor: Int32 = 0, patch: Int32 = 0
        zmq_version(&major, &minor, &patch)
        return "\(major).\(minor).\(patch)"
    }
}
