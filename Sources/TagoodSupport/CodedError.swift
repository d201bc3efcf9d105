/// A module's kinds of error: the code of a kind is `<domain>.<rawValue>`, such as `dataset.missing-root`.
public protocol ErrorKind: RawRepresentable, Sendable, Equatable where RawValue == String {
    /// The code's first part, the module's: `dataset`, `transport`, `reduce`, …
    static var domain: String { get }
}

/// The one error shape of tagood: a code from a module's ``ErrorKind`` enum, a message that says what is
/// wrong and names what is involved, the subject itself (a file, a config key, a shard) and what to do.
/// Modules declare their error as a type alias:
///
/// ```swift
/// public enum DatasetErrorKind: String, ErrorKind { public static let domain = "dataset"; case missingRoot = "missing-root", … }
/// public typealias DatasetError = CodedError<DatasetErrorKind>
/// throw DatasetError(.missingRoot, "dataset root /x/val does not exist", subject: "/x/val",
///                    remedy: "fix datasets[1].root in the job file")
/// ```
public struct CodedError<Kind: ErrorKind>: TagoodError {
    public let kind: Kind
    /// What is wrong, naming the subject.
    public let message: String
    /// The file, key or shard the error is about, when there is one.
    public let subject: String?
    /// What to do about it, when the message does not already say.
    public let remedy: String?

    public init(_ kind: Kind, _ message: String, subject: String? = nil, remedy: String? = nil) {
        self.kind = kind
        self.message = message
        self.subject = subject
        self.remedy = remedy
    }

    public var code: String { "\(Kind.domain).\(kind.rawValue)" }
    public var description: String { remedy.map { "\(message); \($0)" } ?? message }
}
