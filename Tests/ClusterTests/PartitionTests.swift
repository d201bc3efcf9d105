import Datasets
import Foundation
import Job
import TagoodSupport
import TagoodTestSupport
import Testing

@testable import Cluster
@testable import Launch

/// A coordinator and two workers on three "hosts" (network namespaces joined by veth pairs,
/// ``NetworkNamespaces``), and the network failing under them: one worker's link pulled mid-shard, and
/// the coordinator cut off from everyone for longer than a lease. Every image still ends up in exactly
/// one shard, no shard is committed twice, and the workers carry on when the network comes back.
@Suite(.serialized) struct PartitionTests {
    static var namespacesAvailable: Bool { NetworkNamespaces.available }

    @Test(.enabled(if: namespacesAvailable, "this machine forbids creating network namespaces (ip netns add failed)"))
    func aWorkerCutOffMidShardHasItsShardRedoneAndItsLateResultDiscarded() throws {
        let run = try PartitionRun(images: 16, delayMilliseconds: 300)
        // Wait for a shard assigned to worker 0, then pull its link while it works on it.
        var lease: JournalRecord?
        let deadline = Date().addingTimeInterval(60)
        while lease == nil && Date() < deadline {
            lease = try run.job.journal().first {
                $0.event == .assigned && run.worker(ofPid: ClusterFixture.pid(ofWorker: $0.worker) ?? -1) == 0
            }
            usleep(20_000)
        }
        let cut = try #require(lease, "worker 0 got no shard: \(run.log)")
        try run.net.setWorkerLink(0, up: false)
        // Its lease expires and the other worker redoes the shard while the link is down.
        let redone = try #require(
            try run.job.waitForRecord(seconds: 60) { $0.event == .committed && $0.shard == cut.shard }, "\(run.log)")
        #expect(redone.worker != cut.worker, "the shard was redone by the other worker")
        try run.net.setWorkerLink(0, up: true)
        #expect(run.finish() == 0, "\(run.log)")
        let records = try run.job.journal()
        #expect(
            ClusterFiles.wasRedoneOnce(cut, in: records),
            "attempt \(cut.attempt ?? 0) of \(cut.shard!) expired and was redone once")
        #expect(
            run.log.contains("discarded a late result for shard \(cut.shard!) attempt \(cut.attempt!)"), "\(run.log)")
        // Bound to 0.0.0.0, the coordinator said which interfaces it exposes.
        #expect(
            run.log.contains("every interface of this host: ") && run.log.contains(" 10.77.1.1")
                && run.log.contains(" 10.77.2.1"),
            "\(run.log)")
        try run.expectEveryShardCommittedOnce()
    }

    @Test(.enabled(if: namespacesAvailable, "this machine forbids creating network namespaces (ip netns add failed)"))
    func theCoordinatorPartitionedLongerThanALeaseLosesNothingAndTheWorkersCarryOn() throws {
        let run = try PartitionRun(images: 24, delayMilliseconds: 150)
        _ = try #require(try run.job.waitForRecord(seconds: 60) { $0.event == .committed }, "\(run.log)")
        try run.net.setCoordinatorLinks(up: false)
        usleep(2_500_000) // the leases (4 × 0.25 s) expire meanwhile
        try run.net.setCoordinatorLinks(up: true)
        #expect(run.finish() == 0, "\(run.log)")
        let records = try run.job.journal()
        #expect(records.contains { $0.event == .expired }, "the partition outlasted the leases")
        let firstExpiry = try #require(records.firstIndex { $0.event == .expired })
        let afterwards = Set(records[firstExpiry...].filter { $0.event == .committed }.compactMap(\.worker))
        #expect(!afterwards.isEmpty, "work went on after the partition")
        let logs = (0..<2).map {
            (try? String(contentsOfFile: run.job.root + "/worker-\($0).log", encoding: .utf8)) ?? ""
        }
        #expect(logs.contains { $0.contains("saying hello again") }, "a forgotten worker joined again: \(logs)")
        #expect(run.workers.allSatisfy { $0.exitStatus == 0 }, "every worker stayed to the end: \(logs)")
        try run.expectEveryShardCommittedOnce()
    }
}

/// The job, its `launcher: none` coordinator in the coordinator namespace, and one worker per worker namespace.
final class PartitionRun {
    let job: ClusterFixture
    let net: NetworkNamespaces
    let coordinator: ChildProcess
    var workers: [ChildProcess] = []
    var coordinatorLog: String { job.root + "/coordinator.log" }

    init(images: Int, delayMilliseconds: Int) throws {
        job = try ClusterFixture(images: images)
        net = try NetworkNamespaces(workers: 2)
        let port = 5555
        try """
        coordinator: {bind: 0.0.0.0, advertise: 10.77.1.1, port: \(port)}
        launcher: none
        heartbeat_seconds: 0.25
        liveness: 4
        max_attempts: 5
        shutdown_grace_seconds: 5
        workers:
          - {host: w1, cores: "0", threads: 1}
          - {host: w2, cores: "0", threads: 1}
        """.write(toFile: job.root + "/cluster.yaml", atomically: true, encoding: .utf8)
        let failpoints = ["TAGOOD_FAILPOINTS": "delay-per-image-ms=\(delayMilliseconds)"]
        coordinator = try net.tagood(
            in: net.coordinator, ["launch", job.root + "/job.yaml", "--cluster", job.root + "/cluster.yaml"],
            log: job.root + "/coordinator.log", environment: failpoints)
        let deadline = Date().addingTimeInterval(30)
        while !FileSystem.exists(job.jobDirectory.workerCredentialFile)
            || CoordinatorInfo.read(path: job.jobDirectory.coordinatorFile) == nil
        {
            guard Date() < deadline, coordinator.isRunning else {
                throw CoordinatorHarness.HarnessError("the coordinator did not start: \(log)")
            }
            usleep(20_000)
        }
        let cores = CoreSet.available()
        for (i, ns) in net.workers.enumerated() {
            workers.append(
                try net.tagood(
                    in: ns,
                    [
                        "worker", "--connect", "tcp://\(net.coordinatorAddress(forWorker: i)):\(port)",
                        "--job", job.jobDirectory.path, "--cores", "\(cores[i % cores.count])",
                        "--threads", "1", "--coordinator-timeout", "60"
                    ],
                    log: job.root + "/worker-\(i).log", environment: failpoints))
        }
    }

    var log: String { (try? String(contentsOfFile: coordinatorLog, encoding: .utf8)) ?? "" }

    /// The index of the worker whose process is `pid` (worker ids are host:pid).
    func worker(ofPid pid: Int32) -> Int? { workers.firstIndex { $0.pid == pid } }

    /// Waits for the coordinator to exit; its status.
    func finish(seconds: Double = 120) -> Int32? {
        _ = coordinator.wait(seconds: seconds)
        for worker in workers { _ = worker.wait(seconds: 10) }
        return coordinator.exitStatus
    }

    func expectEveryShardCommittedOnce(sourceLocation: SourceLocation = #_sourceLocation) throws {
        let records = try job.journal()
        for id in try ShardPlan.load(path: job.jobDirectory.planFile).shardIDs {
            #expect(
                records.filter { $0.event == .committed && $0.shard == id }.count == 1, "\(id) committed once",
                sourceLocation: sourceLocation)
        }
        try job.expectExactlyOnce(sourceLocation: sourceLocation)
    }
}
