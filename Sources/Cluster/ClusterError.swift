import TagoodSupport

/// A cluster run that cannot go on: workers that cannot be started or pinned, a task a worker cannot run.
public typealias ClusterError = CodedError<ClusterErrorKind>

/// The kinds of ``ClusterError``; each raw value is the error code.
public enum ClusterErrorKind: String, Sendable, Equatable {
    /// A worker process could not be started.
    case launch = "cluster.launch"
    /// A worker could not pin itself to its cores or GPU.
    case pinning = "cluster.pinning"
    /// A worker got a task of a kind it does not run.
    case task = "worker.task"
}
