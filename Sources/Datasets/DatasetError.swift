import TagoodSupport

/// Why a dataset could not be scanned or planned. Every case names the path (and line, for list files)
/// and says what to do.
public struct DatasetError: TagoodError {
    public enum Kind: String, Sendable {
        case missingRoot = "dataset.missing-root"
        case notADirectory = "dataset.not-a-directory"
        case unreadable = "dataset.unreadable"
        case empty = "dataset.empty"
        case badListLine = "dataset.bad-list-line"
        case missingListedImage = "dataset.missing-listed-image"
        case duplicateImage = "dataset.duplicate-image"
        case badShardSize = "dataset.bad-shard-size"
        case badPlan = "dataset.bad-plan"
    }

    public let kind: Kind
    public let message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var code: String { kind.rawValue }
    public var description: String { message }
}
