import Extract
import Job
import Shards
import TagoodSupport
import Testing
import Transport

@testable import Cluster

/// What a peer that holds the job's credential still cannot do, message by message in process: commit a
/// shard that is not this job's, hold two leases, fail a shard it does not hold, or crowd out the others.
@Suite struct CoordinatorTrustTests {
    @Test(arguments: ["model_hash", "job_id", "paths"])
    func aShardThatIsNotTheJobsIsRefusedWhateverChecksumsItCarries(_ forged: String) throws {
        let h = try CoordinatorHarness(shards: 2)
        let assign = try h.startWithFirstAssignment(to: "rogue")
        let done = try h.complete(assign, as: "rogue") { metadata, paths in
            switch forged {
            case "model_hash": metadata.modelHash = "deadbeefdeadbeef"
            case "job_id": metadata.jobID = "forged-by-rogue"
            default: paths[1] = "elsewhere/victim.png"
            }
        }
        try h.send(.done(done), from: "rogue")
        let failed = try #require(h.records.last { $0.event == .failed && $0.shard == assign.shard })
        #expect(failed.code == "shard.foreign", "\(failed.message ?? "")")
        #expect(failed.message?.contains(forged) == true, "\(failed.message ?? "")")
        #expect(!FileSystem.exists(h.directory.shardFile(assign.shard)), "nothing was committed")
        #expect(!FileSystem.exists(h.directory.stagingFile(assign.shard, attempt: assign.attempt, worker: "rogue")))
        #expect(try h.finishesExactlyOnce(), "an honest worker still finishes the job")
    }

    @Test func aWorkerHoldsOneLeaseAtATime() throws {
        let h = try CoordinatorHarness(shards: 3)
        let first = try h.startWithFirstAssignment(to: "hoarder")
        for _ in 0..<20 { #expect(try h.ready("hoarder") == nil, "no second shard while it holds \(first.shard)") }
        try h.join("honest")
        #expect(try h.ready("honest")?.shard == h.shards[1], "the next shard goes to the next worker")
        #expect(h.records.filter { $0.event == .assigned && $0.worker == "hoarder" }.count == 1)
    }

    @Test func aStrangersDoneDeletesNothingAndAWorkerIdIsNotTakenTwice() throws {
        let h = try CoordinatorHarness(shards: 1)
        let assign = try h.startWithFirstAssignment(to: "w1")
        let done = try h.complete(assign, as: "w1") // w1's file is in place, its `done` not sent yet
        let staging = h.directory.stagingFile(assign.shard, attempt: assign.attempt, worker: "w1")
        // No hello: a `done` for w1's attempt is stale and must not touch w1's file.
        try h.send(.done(done), from: "stranger")
        #expect(FileSystem.exists(staging))
        // Nor may a second peer take w1's worker id.
        let replies = try h.send(
            .hello(
                ProtocolMessage.Hello(
                    workerID: "w1", host: "test", pid: 1, device: "cpu", pinned: [0], threads: 1,
                    modelHash: DecodeOnlyProducer.modelHash, tagoodVersion: TagoodVersion.string)), from: "other-peer")
        guard case .refused(let r)? = replies.first else { Issue.record("expected refused, got \(replies)"); return }
        #expect(r.reason.contains("already connected"), "\(r.reason)")
        try h.send(.done(done), from: "w1")
        #expect(h.records.filter { $0.event == .committed }.count == 1)
    }

    @Test func failedAndHeartbeatCountOnlyFromTheLeaseHolder() throws {
        let h = try CoordinatorHarness(shards: 2, maxAttempts: 2)
        let assign = try h.startWithFirstAssignment(to: "honest")
        try h.join("rogue")
        for attempt in 0..<5 {
            try h.send(
                .failed(ProtocolMessage.Failed(shard: assign.shard, attempt: attempt, code: "x", message: "forged")),
                from: "rogue")
            try h.send(
                .failed(ProtocolMessage.Failed(shard: h.shards[1], attempt: attempt, code: "x", message: "forged")),
                from: "rogue")
        }
        #expect(!h.records.contains { $0.event == .failed || $0.event == .gaveUp }, "nothing was charged to any shard")
        try h.send(.done(try h.complete(assign, as: "honest")), from: "honest")
        #expect(h.records.contains { $0.event == .committed && $0.shard == assign.shard })
    }

    @Test func moreWorkersThanMaxWorkersAreRefusedUntilASilentOneIsForgotten() throws {
        let h = try CoordinatorHarness(shards: 2, maxWorkers: 2)
        try h.coordinator.start()
        try h.join("a")
        try h.join("b")
        let refused = try h.send(
            .hello(
                ProtocolMessage.Hello(
                    workerID: "c", host: "test", pid: 1, device: "cpu", pinned: [0], threads: 1,
                    modelHash: DecodeOnlyProducer.modelHash, tagoodVersion: TagoodVersion.string)), from: "c")
        guard case .refused(let r)? = refused.first else { Issue.record("expected refused, got \(refused)"); return }
        #expect(r.reason.contains("at most 2 workers") && r.reason.contains("max_workers"), "\(r.reason)")
        // a and b go silent (no lease) for longer than a lease: they are presumed gone, and c gets in.
        h.time.advance(CoordinatorHarness.heartbeat * Double(CoordinatorHarness.liveness) + 1)
        try h.join("c")
    }
}
