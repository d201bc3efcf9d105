import TagoodSupport

/// Why a dataset could not be scanned or planned. Every case names the path (and line, for list files)
/// and says what to do.
public typealias DatasetError = CodedError<DatasetErrorKind>

/// The kinds of ``DatasetError``; each raw value is the error code.
public enum DatasetErrorKind: String, Sendable, Equatable {
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
