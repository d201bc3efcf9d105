import TagoodSupport

/// Why the job's keys or a worker credential cannot be used.
public typealias CredentialError = CodedError<CredentialErrorKind>

/// The kinds of ``CredentialError`` (codes `credential.<raw value>`): the file is missing, cannot be
/// read or written, is readable by others, or is not a key file of tagood's format.
public enum CredentialErrorKind: String, ErrorKind {
    public static let domain = "credential"
    case missing, unreadable, exposed, malformed, write
}
