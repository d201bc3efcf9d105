import TagoodSupport

/// Why `tagood reduce` or `tagood report` cannot go on.
///
/// ``code`` is `reduce.<kind>`; ``description`` names the job, dataset, class or file involved and says
/// what to do.
public struct ReduceError: TagoodError {
    /// The kind of failure; its raw value is the part of ``code`` after `reduce.`.
    public enum Kind: String, Sendable, CaseIterable {
        /// The job directory, its plan or its journal cannot be read.
        case job
        /// Some shards of the plan are not committed yet.
        case incomplete
        /// There is no dataset to take the class centers from.
        case noCenters = "no-centers"
        /// A class has no image with an object feature, so it has no center.
        case emptyClass = "empty-class"
        /// A dataset to score has no usable image.
        case emptyDataset = "empty-dataset"
        /// There is no `id-val` dataset (the positives of every metric).
        case noIDVal = "no-id-val"
        /// A shard does not hold what the plan says it should.
        case shard
        /// A file under `reduce/` is damaged or from another version.
        case damaged
        /// Writing an output failed.
        case write
        /// `tagood report` found no reduce outputs.
        case notReduced = "not-reduced"
        /// An option value is out of range.
        case option
        /// Building the partials on the cluster's workers failed or was interrupted.
        case cluster
    }

    /// The kind of failure.
    public let kind: Kind
    /// The whole message, naming what is involved and what to do.
    public let message: String

    /// Creates an error.
    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    /// `reduce.<kind>`, such as `reduce.empty-class`.
    public var code: String { "reduce.\(kind.rawValue)" }

    public var description: String { message }
}
