import Foundation
import Job
import TagoodTestSupport
import Testing
import Transport

@testable import Cluster

/// SIGTERM / SIGINT on a running `tagood launch`: graceful first, immediate on the second signal; the
/// journal stays consistent and `resume` finishes the job exactly once.
@Suite(.serialized) struct ShutdownTests {
    @Test func aSignalStopsGracefullyAndResumeFinishes() throws {
        let job = try ClusterFixture(images: 24)
        let run = try job.launchInBackground(failpoints: "delay-per-image-ms=100")
        _ = try #require(try job.waitForRecord { $0.event == .committed })
        kill(run.pid, SIGTERM)
        let result = run.wait()
        #expect(result.status == 130, "\(result.stdout)")
        #expect(result.stdout.contains("stopping: no new shards"))
        #expect(result.stdout.contains("continue with: tagood resume"))
        #expect(!result.stdout.contains("restarted worker"), "no worker is restarted while stopping: \(result.stdout)")
        let records = try job.journal()
        let state = JobState(shards: Array(Set(records.compactMap(\.shard))), replaying: records)
        #expect(state.running.isEmpty, "no lease is left open in the journal")
        #expect(state.committed.count < 12, "stopped before the end")
        let leftovers = try FileManager.default.subpathsOfDirectory(atPath: job.jobDirectory.shardsFolder).filter {
            $0.contains(".tmp-")
        }
        #expect(leftovers.isEmpty, "\(leftovers)")
        let resumed = try job.resume()
        #expect(resumed.status == 0, "\(resumed.stdout)")
        try job.expectExactlyOnce()
    }

    @Test func aSecondSignalStopsAtOnce() throws {
        let job = try ClusterFixture()
        // An hour of grace: only the second signal can end this run while the test waits.
        let cluster = job.root + "/cluster.yaml"
        let spec = try String(contentsOfFile: cluster, encoding: .utf8)
        #expect(spec.contains("shutdown_grace_seconds: 5\n"))
        try spec.replacingOccurrences(of: "shutdown_grace_seconds: 5\n", with: "shutdown_grace_seconds: 3600\n")
            .write(toFile: cluster, atomically: true, encoding: .utf8)
        let run = try job.launchInBackground(failpoints: "delay-per-image-ms=2000")
        _ = try #require(try job.waitForRecord { $0.event == .assigned })
        usleep(300_000)
        kill(run.pid, SIGINT)
        usleep(200_000)
        kill(run.pid, SIGINT)
        let deadline = Date().addingTimeInterval(300)
        while run.process.isRunning && Date() < deadline { usleep(20_000) }
        #expect(!run.process.isRunning, "the second signal must end the run, not the hour of grace")
        let result = run.wait()
        #expect(result.status == 130, "\(result.stdout)")
        let abandoned = try job.journal().filter { $0.event == .abandoned }
        #expect(!abandoned.isEmpty)
        #expect(result.stdout.contains("abandoned shard"))
    }
}
