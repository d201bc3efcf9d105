import Foundation
import Job

/// What the real-process cluster tests share: a local cluster file and a wait on a journal.
public enum ClusterFiles {
    /// A `cluster.yaml` with two workers of one thread each, pinned to the first two of `cores`, and a
    /// coordinator on a free port of 127.0.0.1.
    public static func twoWorkers(cores: [Int], heartbeat: Double = 0.25, maxAttempts: Int = 3) -> String {
        """
        coordinator: {bind: 127.0.0.1, port: 0}
        heartbeat_seconds: \(heartbeat)
        liveness: 4
        max_attempts: \(maxAttempts)
        shutdown_grace_seconds: 5
        workers:
          - {cores: "\(cores[0])", threads: 1}
          - {cores: "\(cores[cores.count > 1 ? 1 : 0])", threads: 1}
        """
    }

    /// Whether attempt `first` (a shard's `assigned` record) expired and a later attempt committed that
    /// shard exactly once: what a worker killed mid-shard must lead to.
    public static func wasRedoneOnce(_ first: JournalRecord, in records: [JournalRecord]) -> Bool {
        guard let shard = first.shard, let attempt = first.attempt else { return false }
        let commits = records.filter { $0.event == .committed && $0.shard == shard }
        return records.contains { $0.event == .expired && $0.shard == shard && $0.attempt == attempt }
            && commits.count == 1 && (commits[0].attempt ?? 0) > attempt
    }

    /// Waits until the journal at `path` has a record matching `predicate` (at most `seconds`).
    public static func waitForRecord(
        in path: String, seconds: Double = 60,
        _ predicate: (JournalRecord) -> Bool
    ) -> JournalRecord? {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if let r = (try? Journal.read(path: path))?.first(where: predicate) { return r }
            usleep(20_000)
        }
        return nil
    }
}
