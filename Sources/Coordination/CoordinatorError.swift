import TagoodSupport

/// A failure of the coordinator itself, not of a shard.
public typealias CoordinatorError = CodedError<CoordinatorErrorKind>

/// The kinds of ``CoordinatorError`` (codes `coordinator.<raw value>`): `resources`, the coordinator ran
/// out of file descriptors or memory while verifying a result (`JournalRecord.resourcesCode`: the attempt
/// is not charged, and the coordinator pauses).
public enum CoordinatorErrorKind: String, ErrorKind {
    public static let domain = "coordinator"
    case resources
}
