import TagoodSupport

/// Why a job directory cannot be used as asked.
public typealias JobError = CodedError<JobErrorKind>

/// The kinds of ``JobError``; each raw value is the error code.
public enum JobErrorKind: String, Sendable, Equatable {
    /// The job cannot run as asked (another plan in its directory, a shard not in the plan, …).
    case invalid = "job.invalid"
    /// The folder is not a job directory (no readable `plan.json`).
    case notAJob = "job.not-a-job"
    /// Some shards of the plan are not committed.
    case incomplete = "job.incomplete"
    /// `journal.jsonl` cannot be read or holds a line that is not a record.
    case journalDamaged = "journal.damaged"
}
