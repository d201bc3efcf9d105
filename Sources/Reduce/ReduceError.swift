import TagoodSupport

/// Why `tagood reduce` or `tagood report` cannot go on: ``CodedError/code`` is `reduce.<kind>`; the message
/// names the job, dataset, class or file involved and says what to do.
public typealias ReduceError = CodedError<ReduceErrorKind>

/// The kinds of ``ReduceError`` (codes `reduce.<raw value>`).
public enum ReduceErrorKind: String, ErrorKind, CaseIterable {
    public static let domain = "reduce"
    /// The job directory, its plan or its journal cannot be read; some shards are not committed yet.
    case job, incomplete
    /// No dataset to take the centers from; a class without an object feature; a dataset to score with
    /// no usable image; no `id-val` dataset (the positives of every metric).
    case noCenters = "no-centers", emptyClass = "empty-class", emptyDataset = "empty-dataset", noIDVal = "no-id-val"
    /// A shard does not hold what the plan says; a file under `reduce/` is damaged or from another
    /// version; writing an output failed; `tagood report` found no reduce outputs.
    case shard, damaged, write, notReduced = "not-reduced"
    /// The job's shards were made by different models (RAM and RAM++, or two encoders).
    case mixedModels = "mixed-models"
    /// An option value is out of range; building the partials on the cluster's workers failed.
    case option, cluster
}

extension CodedError where Kind == ReduceErrorKind {
    /// Writing the output `path` failed (`reduce.write`).
    static func writing(_ path: String, _ error: FileError) -> ReduceError {
        ReduceError(.write, "cannot write \(path): \(error); check free space and permissions")
    }
}
