import TagoodSupport

/// A cluster run that cannot go on: workers that cannot be started or pinned, a task a worker cannot run.
public typealias ClusterError = CodedError<ClusterErrorKind>

/// The kinds of ``ClusterError`` (codes `cluster.<raw value>`): a worker process could not be started,
/// could not pin itself to its cores or GPU, or got a task of a kind it does not run.
public enum ClusterErrorKind: String, ErrorKind {
    public static let domain = "cluster"
    case launch, pinning, task
}
