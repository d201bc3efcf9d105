/// The one shape of every tagood error: a stable machine-readable `code` (for logs, the journal and
/// tests), the `subject` it is about (a file, a config key, a shard), what to do about it (`remedy`),
/// and a `description` that says all of it in one line. ``CodedError`` is the usual conformance; errors
/// with more structure (``FileError``, a shard's, an image's or a config file's error) conform directly.
public protocol TagoodError: Error, CustomStringConvertible, Sendable {
    /// A short dotted identifier, stable across versions, such as `image.truncated` or `shard.checksum`.
    var code: String { get }
    /// The file, key or shard the error is about, when there is one.
    var subject: String? { get }
    /// What to do about it, when there is something to say (the description includes it).
    var remedy: String? { get }
}

extension TagoodError {
    public var subject: String? { nil }
    public var remedy: String? { nil }
}
