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

    /// Waits until the journal at `path` has a record matching `predicate` (at most `seconds`).
    public static func waitForRecord(in path: String, seconds: Double = 60,
                                     _ predicate: (JournalRecord) -> Bool) -> JournalRecord? {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if let r = (try? Journal.read(path: path))?.first(where: predicate) { return r }
            usleep(20_000)
        }
        return nil
    }
}
