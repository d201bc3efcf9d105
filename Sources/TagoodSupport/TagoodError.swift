/// The common shape of every tagood error: a stable machine-readable `code` (for logs, the journal and
/// tests) and a `description` that names the file, key or image involved and says what to do.
public protocol TagoodError: Error, CustomStringConvertible, Sendable {
    /// A short dotted identifier, stable across versions, such as `image.truncated` or `shard.checksum`.
    var code: String { get }
}
