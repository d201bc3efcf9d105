/// The common shape of every tagood error: a stable machine-readable `code` (for logs, the journal and
/// tests), the `subject` it is about (a file, a config key, a shard), and a `description` that names
/// that subject and says what to do. ``CodedError`` is the usual conformance; errors with more structure
/// (``FileError``, a shard's or a config file's error) conform directly.
public protocol TagoodError: Error, CustomStringConvertible, Sendable {
    /// A short dotted identifier, stable across versions, such as `image.truncated` or `shard.checksum`.
    var code: String { get }
    /// The file, key or shard the error is about, when there is one.
    var subject: String? { get }
}

extension TagoodError {
    public var subject: String? { nil }
}
