import TagoodSupport

/// Why `tagood train` or the learned score cannot go on: ``CodedError/code`` is `learning.<kind>`; the
/// message names the job, checkpoint, tensor or shard involved and says what to do.
public typealias LearningError = CodedError<LearningErrorKind>

/// The kinds of ``LearningError`` (codes `learning.<raw value>`).
public enum LearningErrorKind: String, ErrorKind, CaseIterable {
    public static let domain = "learning"
    /// An option is out of range.
    case option
    /// A checkpoint is missing, unreadable, or does not fit the job or the options.
    case checkpoint
    /// The job has nothing to train on (no id-train dataset, no labelled image with tokens).
    case data
    /// A shard could not be read, or holds what the job's plan does not say.
    case shard
    /// The job directory cannot be opened, or some shards are not committed yet.
    case job
    /// Writing a checkpoint or the training log failed.
    case write
}
