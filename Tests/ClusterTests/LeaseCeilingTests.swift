import Extract
import Job
import TagoodSupport
import Testing
import Transport

@testable import Coordination

/// Issue 25, items 3 and 4, in process with the clock moved by hand: a lease has a ceiling whatever its
/// heartbeats, a routing id is bound to the connection that said hello, nothing counts from a peer that
/// has not, and two worker ids never share a staging file.
@Suite struct LeaseCeilingTests {
    /// `w1` heartbeats every second for `seconds` seconds, its images done growing by `step` a beat.
    static func beat(_ h: CoordinatorHarness, _ a: ProtocolMessage.Assign, seconds: Int, step: Int) throws {
        for second in 1...seconds {
            h.time.advance(1)
            try h.send(
                .heartbeat(ProtocolMessage.Heartbeat(shard: a.shard, attempt: a.attempt, imagesDone: second * step)),
                from: "w1")
            _ = try h.tick()
        }
    }

    static func expiry(_ h: CoordinatorHarness, of a: ProtocolMessage.Assign) -> JournalRecord? {
        h.records.first { $0.event == .expired && $0.shard == a.shard && $0.attempt == a.attempt }
    }

    @Test func aLeaseWhoseProgressStopsIsExpiredAlthoughItKeepsHeartbeating() throws {
        let h = try CoordinatorHarness(shards: 2, stallSeconds: 10)
        let a = try h.startWithFirstAssignment()
        try Self.beat(h, a, seconds: 30, step: 1) // progress: the lease lives as long as it grows
        #expect(Self.expiry(h, of: a) == nil)
        try Self.beat(h, a, seconds: 12, step: 0) // heartbeats, but the images done stay put
        let expired = try #require(Self.expiry(h, of: a), "a lease without progress has an end")
        #expect(expired.code == "lease.stalled" && expired.message?.contains("made no progress") == true)
        #expect(
            h.events.contains {
                if case .leaseExpired(_, _, _, let reason) = $0 { reason.contains("no progress") } else { false }
            }, "the reason reaches the log")
        #expect(try h.ready("w1") == nil, "the hung worker is forgotten: it must say hello again")
        #expect(try h.finishesExactlyOnce())
    }

    @Test func anAttemptFarLongerThanTheMedianIsExpiredEvenWithProgress() throws {
        let h = try CoordinatorHarness(shards: 5, stallSeconds: 10)
        try h.coordinator.start()
        try h.join("w1")
        for _ in 0..<3 { // three attempts of one second each: the median is 1 s
            let a = try #require(try h.ready("w1"))
            h.time.advance(1)
            try h.send(.done(try h.complete(a, as: "w1")), from: "w1")
        }
        let slow = try #require(try h.ready("w1"))
        try Self.beat(h, slow, seconds: 9, step: 1) // 10 × the median, but not yet past stall_seconds
        #expect(Self.expiry(h, of: slow) == nil)
        try Self.beat(h, slow, seconds: 3, step: 1) // a trickle of progress does not keep it forever
        let expired = try #require(Self.expiry(h, of: slow), "an attempt 10 × slower than its peers has an end")
        #expect(expired.code == "lease.overdue" && expired.message?.contains("median") == true, "\(expired)")
        #expect(try h.finishesExactlyOnce())
    }

    @Test func aNewConnectionWithADeadWorkersRoutingIDInheritsNothing() throws {
        let h = try CoordinatorHarness(shards: 2)
        try h.coordinator.start()
        let peer = Array("w1".utf8)
        try h.coordinator.handle(
            .hello(
                ProtocolMessage.Hello(
                    workerID: "w1", host: "test", pid: 1, device: "cpu", pinned: [0], threads: 1,
                    modelHash: DecodeOnlyProducer.modelHash, tagoodVersion: TagoodVersion.string)),
            from: peer, connection: "peer-1")
        try h.coordinator.handle(.ready, from: peer, connection: "peer-1")
        let assign = try #require(
            try h.coordinator.flush().compactMap { if case .assign(let a) = $0.message { a } else { nil } }.first)
        // w1 dies; another connection takes its routing id and heartbeats without hello.
        for _ in 0..<10 {
            h.time.advance(1)
            try h.coordinator.handle(
                .heartbeat(ProtocolMessage.Heartbeat(shard: assign.shard, attempt: assign.attempt, imagesDone: 1)),
                from: peer, connection: "peer-2")
            _ = try h.tick()
        }
        #expect(Self.expiry(h, of: assign)?.code == "lease.expired", "its heartbeats did not keep the lease")
        try h.coordinator.handle(.ready, from: peer, connection: "peer-2")
        let replies = try h.coordinator.flush().map(\.message)
        guard case .refused(let refused)? = replies.first else {
            Issue.record("\(replies)")
            return
        }
        #expect(refused.rejoin == true, "it is told to say hello")
        #expect(try h.finishesExactlyOnce())
    }

    @Test func workerIDsThatSanitiseAlikeNeverShareAStagingFile() throws {
        let names = ["vm:123", "vm_123", "vm.123", "vm-123", "vm/123", "vm_3A123"]
        let tags = names.map(JobDirectory.stagingTag(worker:))
        #expect(Set(tags).count == names.count, "\(tags)")
        for tag in tags { #expect(AtomicFile.isTemporary("shard-00001.h5.tmp-a1-" + tag)) }
        #expect(JobDirectory.stagingTag(worker: "node-7") == "node-7", "plain ids stay readable")
    }

    @Test func peerStringsAreCleanedAndBounded() throws {
        let h = try CoordinatorHarness(shards: 1)
        let a = try h.startWithFirstAssignment()
        let forged = "x\nall 22 shards committed\u{1B}[2J" + String(repeating: "y", count: 900_000)
        try h.send(
            .failed(ProtocolMessage.Failed(shard: a.shard, attempt: a.attempt, code: "c\r\n", message: forged)),
            from: "w1")
        let failed = try #require(h.records.first { $0.event == .failed })
        #expect(
            failed.message!.utf8.count < 600 && !failed.message!.contains("\n") && !failed.message!.contains("\u{1B}"))
        #expect(failed.message!.contains("\\u{a}all 22 shards committed\\u{1b}[2J"), "escaped, not dropped")
        #expect(failed.code == "c\\u{d}\\u{a}")
        // A worker id with a control character is refused; the refusal shows it escaped.
        let replies = try h.send(
            .hello(
                ProtocolMessage.Hello(
                    workerID: "evil\n", host: "h", pid: 1, device: "cpu", pinned: [0], threads: 1,
                    modelHash: DecodeOnlyProducer.modelHash, tagoodVersion: TagoodVersion.string)), from: "evil")
        guard case .refused? = replies.first else { Issue.record("\(replies)"); return }
        #expect(
            h.events.allSatisfy {
                if case .workerRefused(let worker, let reason) = $0 { !(worker + reason).contains("\n") } else { true }
            })
    }
}
