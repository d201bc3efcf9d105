import TagoodSupport

/// Why a shard could not be written, opened or verified.
///
/// The ``code`` is stable (`shard.open`, `shard.schema`, …) for the journal and tests; the
/// ``description`` names the file, the dataset or attribute involved, HDF5's own message when there is one,
/// and what to do next.
public struct ShardError: TagoodError {
    /// The kind of failure; its raw value is the part of ``code`` after `shard.`.
    public enum Kind: String, Sendable, CaseIterable {
        /// The file could not be opened as HDF5 (missing, truncated, not HDF5).
        case open
        /// An attribute or dataset is missing or has the wrong type, rank or width.
        case schema
        /// The `complete` attribute is missing or not 1: the writer never committed.
        case incomplete
        /// Row counts or offsets disagree between datasets, or values are out of range.
        case counts
        /// The recomputed content checksum differs from the stored one: the data was changed.
        case checksum
        /// The file checksum (``ShardFile/checksum(path:)``) differs from the one the journal recorded.
        case fileChecksum = "file-checksum"
        /// The file's bytes do not match its seal (``ShardSeal``): changed, truncated or appended to.
        case seal
        /// The file has no seal and no checksum vouches for it (tagood 0.1.0's, another tool's, or not a shard).
        case unsealed
        /// A valid shard, but not this job's: its `job_id`, `model_hash` or image list differ from the job's.
        case foreign
        /// Reading a dataset or the file's bytes failed after the file opened.
        case read
        /// Creating, writing, committing or renaming the shard failed.
        case write
        /// A record passed to ``ShardWriter/append(_:)`` is inconsistent; nothing of it was written.
        case record
    }

    /// The kind of failure.
    public let kind: Kind
    /// The shard file (the final path for writers, even while the temporary file is in use).
    public let path: String
    /// The dataset, attribute or record inside the file, as shown to people (such as "dataset `tokens`").
    public let part: String?
    /// What went wrong.
    public let detail: String
    /// The HDF5 error stack at the time of the failure, when HDF5 reported one.
    public let hdf5Message: String?

    /// Creates an error; `hdf5Message` is usually the HDF5 error stack at the failure.
    public init(_ kind: Kind, path: String, part: String? = nil, detail: String, hdf5Message: String? = nil) {
        self.kind = kind
        self.path = path
        self.part = part
        self.detail = detail
        self.hdf5Message = hdf5Message
    }

    /// `shard.<kind>`, such as `shard.checksum`.
    public var code: String { "shard.\(kind.rawValue)" }

    /// The shard file.
    public var subject: String? { path }

    /// What to do: ``advice``.
    public var remedy: String? { advice }

    /// What the user should do about this kind of failure.
    public var advice: String {
        switch kind {
        case .open, .schema, .counts, .checksum, .fileChecksum, .seal, .foreign, .read:
            return "the shard is unusable: delete it or re-run `tagood resume` to redo it"
        case .unsealed:
            return "open it with its file checksum from the job journal (`tagood inspect --file-checksum`), or, if you "
                + "trust the file, with `tagood inspect --allow-unsealed`; `tagood resume` redoes such a shard when the journal does not vouch for it"
        case .incomplete:
            return "its writer never committed it (killed or failed): re-run `tagood resume` to redo it"
        case .write:
            return "check free space and permissions in the shard's directory, then re-run `tagood resume` to redo it"
        case .record:
            return "the record was rejected and nothing of it was written; fix the extractor output for this image"
        }
    }

    /// `shard <path>: <part>: <detail> (HDF5: <stack>); <advice>`.
    public var description: String {
        var text = "shard \(path): "
        if let part { text += "\(part): " }
        text += detail
        if let hdf5Message { text += " (HDF5: \(hdf5Message))" }
        return text + "; " + advice
    }
}

extension ShardError {
    /// An error carrying the calling thread's HDF5 error stack.
    static func hdf5(_ kind: Kind, path: String, part: String? = nil, _ detail: String) -> ShardError {
        ShardError(kind, path: path, part: part, detail: detail, hdf5Message: HDF5.errorStack())
    }
}
