import TagoodSupport

/// Why `tagood reduce` or `tagood report` cannot go on: ``code`` is `reduce.<kind>`; the message names
/// the job, dataset, class or file involved and says what to do.
public typealias ReduceError = CodedError<ReduceErrorKind>

/// The kinds of ``ReduceError``; each raw value is the error code.
public enum ReduceErrorKind: String, Sendable, CaseIterable {
    /// The job directory, its plan or its journal cannot be read.
    case job = "reduce.job"
    /// Some shards of the plan are not committed yet.
    case incomplete = "reduce.incomplete"
    /// There is no dataset to take the class centers from.
    case noCenters = "reduce.no-centers"
    /// A class has no image with an object feature, so it has no center.
    case emptyClass = "reduce.empty-class"
    /// A dataset to score has no usable image.
    case emptyDataset = "reduce.empty-dataset"
    /// There is no `id-val` dataset (the positives of every metric).
    case noIDVal = "reduce.no-id-val"
    /// A shard does not hold what the plan says it should.
    case shard = "reduce.shard"
    /// A file under `reduce/` is damaged or from another version.
    case damaged = "reduce.damaged"
    /// Writing an output failed.
    case write = "reduce.write"
    /// `tagood report` found no reduce outputs.
    case notReduced = "reduce.not-reduced"
    /// An option value is out of range.
    case option = "reduce.option"
    /// Building the partials on the cluster's workers failed or was interrupted.
    case cluster = "reduce.cluster"
}
