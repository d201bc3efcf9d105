import Foundation
import Job
import TagoodSupport
import Testing

@Suite struct JournalTests {
    let a = ShardID(dataset: "val", index: 0)
    let b = ShardID(dataset: "val", index: 1)

    @Test func recordsSurviveReopeningAndReplayIntoState() throws {
        let dir = try TemporaryDirectory(prefix: "tagood-journal")
        let path = dir.path + "/journal.jsonl"
        do {
            let journal = try Journal(path: path)
            try journal.append(JournalRecord(.started, time: 1, planHash: "p"))
            try journal.append(JournalRecord(.assigned, time: 2, shard: a, attempt: 1, worker: "w1"))
            try journal.append(JournalRecord(.assigned, time: 2, shard: b, attempt: 1, worker: "w2"))
            try journal.append(
                JournalRecord(.committed, time: 3, shard: a, attempt: 1, checksum: "c0", images: 10, tokens: 40))
        }
        let records = try Journal.read(path: path)
        #expect(records.count == 4)
        let state = JobState(shards: [a, b], replaying: records)
        #expect(state.shards[a]!.status == .committed(checksum: "c0"))
        #expect(state.shards[b]!.status == .running(attempt: 1, worker: "w2", since: 2))
        // A new coordinator voids running leases but keeps attempt numbers.
        var restarted = state
        restarted.apply(JournalRecord(.started, time: 4))
        #expect(restarted.pending == [b])
        #expect(restarted.shards[b]!.lastAttempt == 1)
    }

    @Test func aLineCutShortByACrashIsIgnoredAndCutOff() throws {
        let dir = try TemporaryDirectory(prefix: "tagood-journal")
        let path = dir.path + "/journal.jsonl"
        do {
            let journal = try Journal(path: path)
            try journal.append(JournalRecord(.started, time: 1))
        }
        // Simulate kill -9 in the middle of a write.
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        handle.seekToEndOfFile()
        handle.write(Data(#"{"event":"assigned","sha"#.utf8))
        try handle.close()
        #expect(try Journal.read(path: path).count == 1)
        let journal = try Journal(path: path)
        try journal.append(JournalRecord(.assigned, time: 2, shard: a, attempt: 1, worker: "w"))
        let records = try Journal.read(path: path)
        #expect(records.map(\.event) == [.started, .assigned])
    }

    @Test func aDamagedLineInTheMiddleIsAnError() throws {
        let dir = try TemporaryDirectory(prefix: "tagood-journal")
        let path = dir.path + "/journal.jsonl"
        try "{\"event\":\"started\",\"time\":1}\nnot json\n{\"event\":\"finished\",\"time\":2}\n".write(
            toFile: path, atomically: true, encoding: .utf8)
        #expect {
            try Journal.read(path: path)
        } throws: { error in
            "\(error)".contains("line 2")
        }
    }

    @Test func failuresRequeueAndGivingUpFailsUntilResume() {
        var state = JobState(shards: [a])
        state.apply(JournalRecord(.started, time: 0))
        for attempt in 1...3 {
            state.apply(JournalRecord(.assigned, time: 1, shard: a, attempt: attempt, worker: "w"))
            state.apply(
                JournalRecord(.failed, time: 2, shard: a, attempt: attempt, code: "worker.crash", message: "boom"))
        }
        #expect(state.shards[a]!.attemptsUsed == 3)
        state.apply(JournalRecord(.gaveUp, time: 3, shard: a, code: "worker.crash", message: "boom"))
        #expect(state.failed == [a])
        state.apply(JournalRecord(.started, time: 4)) // a relaunch does not retry failed shards
        #expect(state.failed == [a])
        state.apply(JournalRecord(.started, time: 5, resume: true)) // resume does, with a fresh budget
        #expect(state.pending == [a] && state.shards[a]!.attemptsUsed == 0 && state.shards[a]!.lastAttempt == 3)
    }
}
