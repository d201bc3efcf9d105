/// What a shard file must say about itself to be this job's, beyond its place in the plan: checked when
/// the coordinator accepts a worker's file and when `resume` re-verifies the committed ones.
public struct JobIdentity: Sendable, Equatable {
    /// The job's name, which every shard's `job_id` attribute carries.
    public var jobID: String
    /// The hash of the job's model weights (`model_hash`); nil accepts any (partials, tests).
    public var modelHash: String?

    public init(jobID: String, modelHash: String?) {
        self.jobID = jobID
        self.modelHash = modelHash
    }
}
