import TagoodSupport

/// Why a dataset could not be scanned or planned. Every case names the path (and line, for list files)
/// and says what to do.
public typealias DatasetError = CodedError<DatasetErrorKind>

/// The kinds of ``DatasetError`` (codes `dataset.<raw value>`).
public enum DatasetErrorKind: String, ErrorKind {
    public static let domain = "dataset"
    /// The root is missing, not a folder or unreadable, or holds no images.
    case missingRoot = "missing-root", notADirectory = "not-a-directory", unreadable, empty
    /// A list file's line is malformed, or names an image that is missing, listed twice, or not a regular
    /// file (a FIFO or a device, which would block a reader).
    case badListLine = "bad-list-line", missingListedImage = "missing-listed-image", duplicateImage = "duplicate-image"
    case notARegularFile = "not-a-regular-file"
    /// `images_per_shard` is below 1, or `plan.json` (or a tar index beside it) does not match its own content.
    case badShardSize = "bad-shard-size", badPlan = "bad-plan"
    /// A tar that cannot be indexed (truncated, cut inside a member, a damaged header or inner tar, a
    /// member listed twice), a webdataset sample without an image or with a bad label, or a tar that
    /// changed after the plan indexed it.
    case badArchive = "bad-archive", badSample = "bad-sample", archiveChanged = "archive-changed"
}
