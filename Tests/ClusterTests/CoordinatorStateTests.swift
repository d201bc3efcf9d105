import Datasets
import Foundation
import Job
import TagoodSupport
import TagoodTestSupport
import Testing
import Transport

@testable import Cluster

/// The coordinator's state machine in process: leases, heartbeats, attempts, stale results, replay and
/// resume, with a clock moved by hand (no process, no socket, no sleep). The real-process versions of
/// these faults are in ClusterJobTests.
@Suite struct CoordinatorStateTests {
    static let leaseSeconds = CoordinatorHarness.heartbeat * Double(CoordinatorHarness.liveness)

    @Test func aLeaseExpiresWithoutHeartbeatsAndItsShardGoesToTheNextWorker() throws {
        let h = try CoordinatorHarness()
        try h.coordinator.start()
        try h.join("w1")
        let first = try #require(try h.ready("w1"))
        #expect(first.shard == h.shards[0] && first.attempt == 1)

        // Heartbeats keep the lease alive past the lease time.
        for _ in 0..<4 {
            h.time.advance(CoordinatorHarness.heartbeat)
            try h.send(.heartbeat(ProtocolMessage.Heartbeat(shard: first.shard, attempt: 1, imagesDone: 1)), from: "w1")
            #expect(try h.tick() == nil)
        }
        #expect(!h.records.contains { $0.event == .expired })

        // Silence expires it, and the next worker gets the same shard as attempt 2.
        h.time.advance(Self.leaseSeconds + 0.01)
        #expect(try h.tick() == nil)
        let expired = try #require(h.records.last)
        #expect(
            expired.event == .expired && expired.shard == first.shard && expired.attempt == 1 && expired.worker == "w1")
        try h.join("w2")
        let second = try #require(try h.ready("w2"))
        #expect(second.shard == first.shard && second.attempt == 2)
    }

    @Test func aLateResultAfterExpiryIsDiscardedAndItsFileDeleted() throws {
        let h = try CoordinatorHarness()
        try h.coordinator.start()
        try h.join("w1")
        let first = try #require(try h.ready("w1"))
        h.time.advance(Self.leaseSeconds + 0.01)
        _ = try h.tick()
        try h.join("w2")
        let second = try #require(try h.ready("w2"))
        #expect(second.shard == first.shard && second.attempt == 2)

        // w1 was only slow: its result arrives now, for the expired attempt.
        let late = try h.complete(first, as: "w1")
        let lateFile = h.directory.stagingFile(first.shard, attempt: 1, worker: "w1")
        #expect(FileSystem.exists(lateFile))
        try h.coordinator.handle(.done(late), from: Array("w1".utf8))
        _ = try h.coordinator.flush()
        #expect(!FileSystem.exists(lateFile), "the stale staging file is deleted")
        #expect(!FileSystem.exists(h.directory.shardFile(first.shard)), "and never committed")
        #expect(h.events.contains { if case .staleResultDiscarded(first.shard, 1, "w1") = $0 { true } else { false } })

        try h.send(.done(try h.complete(second, as: "w2")), from: "w2")
        let commits = h.records.filter { $0.event == .committed }
        #expect(commits.count == 1 && commits[0].attempt == 2 && commits[0].worker == "w2")
        #expect(h.leftovers.isEmpty)
    }

    @Test func aDuplicateDoneCommitsOnce() throws {
        let h = try CoordinatorHarness(shards: 1)
        let assign = try h.startWithFirstAssignment()
        let done = try h.complete(assign, as: "w1")
        try h.send(.done(done), from: "w1")
        let committed = try FileBytes.read(h.directory.shardFile(assign.shard))
        try h.send(.done(done), from: "w1") // the same message again (a retry, a duplicate on the wire)
        #expect(h.records.filter { $0.event == .committed }.count == 1)
        #expect(try FileBytes.read(h.directory.shardFile(assign.shard)) == committed, "the committed file is untouched")
        #expect(try h.tick() == .complete)
        #expect(h.records.last?.event == .finished)
    }

    @Test func aShardGivesUpAfterMaxAttemptsAndTheRunIsNotComplete() throws {
        let h = try CoordinatorHarness(shards: 2, maxAttempts: 2)
        try h.coordinator.start()
        try h.join("w1")
        for attempt in 1...2 {
            let assign = try #require(try h.ready("w1"))
            #expect(assign.shard == h.shards[0] && assign.attempt == attempt)
            try h.send(
                .failed(
                    ProtocolMessage.Failed(
                        shard: assign.shard, attempt: attempt, code: "image.crash", message: "boom \(attempt)")),
                from: "w1")
        }
        let gaveUp = try #require(h.records.last)
        #expect(gaveUp.event == .gaveUp && gaveUp.shard == h.shards[0] && gaveUp.code == "image.crash")
        #expect(gaveUp.message?.contains("boom 2") == true)
        // The other shard still runs; then the run ends failed, never complete.
        let other = try #require(try h.ready("w1"))
        #expect(other.shard == h.shards[1])
        try h.send(.done(try h.complete(other, as: "w1")), from: "w1")
        #expect(try h.tick() == .shardsFailed([h.shards[0]]))
        #expect(!h.records.contains { $0.event == .finished })

        #expect(try h.finishesExactlyOnce(resume: true), "`resume` gives it a fresh budget")
    }

    @Test func aResultFromAnotherWorkerOrAttemptIsNotCommitted() throws {
        let h = try CoordinatorHarness(shards: 1)
        try h.coordinator.start()
        try h.join("w1")
        try h.join("w2")
        let assign = try #require(try h.ready("w1"))
        // w2 claims w1's attempt with a file of its own name; an unknown peer sends a `done` without hello.
        let foreign = try h.complete(assign, as: "w2")
        try h.send(.done(foreign), from: "w2")
        try h.send(
            .done(
                ProtocolMessage.Done(
                    shard: assign.shard, attempt: 1, resultChecksum: "0", images: 2, failedImages: 0, tokens: 0,
                    seconds: 0)),
            from: "stranger")
        #expect(!h.records.contains { $0.event == .committed })
        #expect(!FileSystem.exists(h.directory.stagingFile(assign.shard, attempt: 1, worker: "w2")))
        try h.send(.done(try h.complete(assign, as: "w1")), from: "w1")
        #expect(h.records.filter { $0.event == .committed }.count == 1)
    }

    @Test func aResultThatDoesNotVerifyFailsTheAttempt() throws {
        let h = try CoordinatorHarness(shards: 1)
        let assign = try h.startWithFirstAssignment()
        var done = try h.complete(assign, as: "w1")
        done.resultChecksum = "0123456789abcdef" // not the file's bytes
        try h.send(.done(done), from: "w1")
        let failed = try #require(h.records.last)
        #expect(failed.event == .failed && failed.code == "shard.file-checksum", "\(failed)")
        #expect(!FileSystem.exists(h.directory.stagingFile(assign.shard, attempt: 1, worker: "w1")))
        #expect(!FileSystem.exists(h.directory.shardFile(assign.shard)))
        let retry = try #require(try h.ready("w1"))
        #expect(retry.attempt == 2)
    }

    @Test func aCrashBetweenRenameAndJournalIsAdoptedByTheAudit() throws {
        let h = try CoordinatorHarness(shards: 2)
        try h.coordinator.start()
        try h.join("w1")
        let assign = try #require(try h.ready("w1"))
        try h.send(.done(try h.complete(assign, as: "w1")), from: "w1")
        // The coordinator renamed the file; say it died before its `committed` record reached the disk.
        #expect(try h.dropLastJournalRecord().contains("\"committed\""))

        let journal = try Journal(path: h.directory.journalFile)
        let state = JobState(shards: h.shards, replaying: try Journal.read(path: h.directory.journalFile))
        let audit = try ShardAudit.run(
            directory: h.directory, plan: h.plan, journal: journal, state: state, time: h.time)
        #expect(audit.adopted == [assign.shard])
        #expect(try h.finishesExactlyOnce())
        #expect(
            h.records.filter { $0.event == .committed && $0.shard == assign.shard }.count == 1, "adopted, not redone")
    }

    @Test func aStopAbandonsRunningAttemptsAfterTheGracePeriod() throws {
        let h = try CoordinatorHarness(shards: 2)
        try h.coordinator.start()
        try h.join("w1")
        let assign = try #require(try h.ready("w1"))
        h.coordinator.requestStop()
        #expect(try h.tick() == nil, "a running attempt may finish within the grace period")
        try h.join("w2")
        #expect(
            try h.send(.ready, from: "w2").contains { if case .shutdown = $0 { true } else { false } }, "no new work")
        h.time.advance(5.01)
        try h.send(.heartbeat(ProtocolMessage.Heartbeat(shard: assign.shard, attempt: 1, imagesDone: 1)), from: "w1")
        #expect(try h.coordinator.finishIfDone() == .interrupted)
        #expect(try h.flush(for: "w1").contains { if case .shutdown = $0 { true } else { false } })
        let abandoned = try #require(h.records.last)
        #expect(abandoned.event == .abandoned && abandoned.shard == assign.shard)
        // An abandoned attempt costs the shard nothing.
        try h.restart()
        #expect(h.coordinator.state.shards[assign.shard]?.attemptsUsed == 0)
    }

    /// The scenario replayed below: commits, a failure, a give-up, an expiry and a late result.
    static func scenario(_ h: CoordinatorHarness) throws {
        try h.coordinator.start()
        try h.join("w1")
        try h.join("w2")
        let a = try #require(try h.ready("w1")) // s0 a1
        let b = try #require(try h.ready("w2")) // s1 a1
        try h.send(.done(try h.complete(a, as: "w1")), from: "w1")
        try h.send(
            .failed(ProtocolMessage.Failed(shard: b.shard, attempt: 1, code: "image.crash", message: "first")),
            from: "w2")
        let c = try #require(try h.ready("w1")) // s1 a2
        try h.send(
            .failed(ProtocolMessage.Failed(shard: c.shard, attempt: 2, code: "image.crash", message: "second")),
            from: "w1")
        let d = try #require(try h.ready("w2")) // s2 a1, then w2 goes silent
        h.time.advance(Self.leaseSeconds + 0.01)
        _ = try h.tick()
        let e = try #require(try h.ready("w1")) // s2 a2
        try h.coordinator.handle(.done(try h.complete(d, as: "w2")), from: Array("w2".utf8)) // late
        try h.send(.done(try h.complete(e, as: "w1")), from: "w1")
        let f = try #require(try h.ready("w1")) // s3 a1
        try h.send(.done(try h.complete(f, as: "w1")), from: "w1")
        #expect(try h.tick() == .shardsFailed([b.shard]))
    }

    @Test func everyPrefixOfTheJournalReplaysToExactlyOnce() throws {
        let original = try CoordinatorHarness(shards: 4, maxAttempts: 2)
        try Self.scenario(original)
        let full = try FileBytes.read(original.directory.journalFile)
        let lineEnds = full.indices.filter { full[$0] == UInt8(ascii: "\n") }
        #expect(lineEnds.count >= 14)

        // Cut the journal after every record (and once mid-record): a coordinator killed at that moment.
        let cuts = [0] + lineEnds.map { $0 + 1 } + [lineEnds[lineEnds.count / 2] - 3]
        for cut in cuts {
            let h = try CoordinatorHarness(shards: 4, maxAttempts: 2)
            try AtomicFile.write(Array(full[..<cut]), to: h.directory.journalFile)
            // The files as they were when the coordinator died: the committed shards of the full run are
            // in place (a prefix may end between a rename and its record).
            for id in original.shards where FileSystem.exists(original.directory.shardFile(id)) {
                try AtomicFile.write(
                    try FileBytes.read(original.directory.shardFile(id)), to: h.directory.shardFile(id))
            }
            let journal = try Journal(path: h.directory.journalFile)
            let state = JobState(shards: h.shards, replaying: try Journal.read(path: h.directory.journalFile))
            _ = try ShardAudit.run(directory: h.directory, plan: h.plan, journal: journal, state: state, time: h.time)
            try h.restart()
            let outcome = try h.drain()
            let committed = h.coordinator.state.committed
            // Never "complete" with a shard missing: a shard is committed, or reported failed.
            switch outcome {
            case .complete: #expect(committed == h.shards, "cut at byte \(cut)")
            case .shardsFailed(let failed):
                #expect(Set(failed).union(committed) == Set(h.shards) && !failed.isEmpty, "cut at byte \(cut)")
            case .interrupted: Issue.record("cut at byte \(cut): interrupted")
            }
            if outcome != .complete {
                try h.restart(resume: true)
                #expect(try h.drain() == .complete, "cut at byte \(cut): resume finishes the job")
            }
            #expect(try h.committedImages() == h.plannedImages, "cut at byte \(cut): every image exactly once")
            #expect(h.leftovers.isEmpty, "cut at byte \(cut): no staging file left")
        }
    }

    @Test func aShardWhoseLastAttemptFailedBeforeItsGiveUpWasJournaledIsNotLost() throws {
        // The coordinator died after the last `failed` and before `gave-up` (issue 10's lost shard).
        let h = try CoordinatorHarness(shards: 2, maxAttempts: 1)
        try h.coordinator.start()
        try h.join("w1")
        let a = try #require(try h.ready("w1"))
        try h.send(
            .failed(ProtocolMessage.Failed(shard: a.shard, attempt: 1, code: "image.crash", message: "boom")),
            from: "w1")
        #expect(try h.dropLastJournalRecord().contains("gave-up"))
        try h.restart()
        #expect(h.records.last?.event == .gaveUp, "the new coordinator gives it up at start")
        #expect(try h.drain() == .shardsFailed([a.shard]))
        #expect(try h.finishesExactlyOnce(resume: true))
    }
}
