import TagoodSupport

/// Why a job directory cannot be used as asked.
public typealias JobError = CodedError<JobErrorKind>

/// The kinds of ``JobError`` (codes `job.<raw value>`): the job cannot run as asked (another plan in its
/// directory, a shard not in the plan), the folder is not a job directory (no readable `plan.json`), some
/// shards are not committed, `journal.jsonl` cannot be read or holds a line that is not a record, or
/// another coordinator holds the job's lock, or one of the job's folders is a symbolic link.
public enum JobErrorKind: String, ErrorKind {
    public static let domain = "job"
    case invalid, notAJob = "not-a-job", incomplete, journalDamaged = "journal-damaged", locked, symlink
}
