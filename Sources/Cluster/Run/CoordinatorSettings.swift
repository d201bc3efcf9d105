import Coordination
import Launch

extension Coordinator.Settings {
    /// The settings of a coordinator that runs on `cluster`: its heartbeat, liveness, attempts, grace and
    /// `max_workers` (a security limit: how many credential holders may be connected at once) and a lease's
    /// ceiling (`stall_seconds`, `overdue_factor`) come from
    /// cluster.yaml, the rest from the run. The one place `launch`, `resume` (``JobRunner``) and
    /// `reduce --cluster` (``ClusterPartialsBuilder``) get their coordinator's settings from.
    public init(
        cluster: ClusterSpec, jobID: String, expectedModelHash: String?, resume: Bool,
        planHash: String? = nil
    ) {
        self.init(
            jobID: jobID, heartbeatSeconds: cluster.heartbeatSeconds, liveness: cluster.liveness,
            maxAttempts: cluster.maxAttempts, graceSeconds: cluster.shutdownGraceSeconds,
            expectedModelHash: expectedModelHash, resume: resume, planHash: planHash,
            maxWorkers: cluster.maxWorkers, stallSeconds: cluster.stallSeconds, overdueFactor: cluster.overdueFactor)
    }
}
