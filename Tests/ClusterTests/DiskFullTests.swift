import Foundation
import Job
import TagoodSupport
import TagoodTestSupport
import Testing

/// A disk that fills up under a running job, for real: the job directory on a small tmpfs the test mounts.
@Suite(.serialized, .enabled(if: Tmpfs.canMount, "mounting a tmpfs needs root")) struct DiskFullTests {
    @Test func aFullDiskPausesTheJobWithoutChargingAttemptsAndItCarriesOnWhenSpaceReturns() throws {
        let job = try ClusterFixture(images: 24, maxAttempts: 2)
        let disk = try Tmpfs(path: job.root + "/out", size: "2m")
        let run = try job.launchInBackground(failpoints: "delay-per-image-ms=100")
        _ = try #require(try job.waitForRecord { $0.event == .committed })
        let filler = disk.fill(leaving: 24 << 10) // room for journal lines, none for a shard
        let full = try job.waitForRecord(seconds: 30) { $0.code == JournalRecord.diskFullCode }
        #expect(full != nil, "a worker reported the full disk")
        usleep(3_000_000) // several back-offs: more disk-full failures than max_attempts allows
        unlink(filler)

        let result = run.wait()
        #expect(result.status == 0, "\(result.stdout)")
        #expect(result.stdout.contains("disk full at \(job.jobDirectory.shardsFolder) (free:"), "\(result.stdout)")
        let records = try job.journal()
        #expect(!records.contains { $0.event == .gaveUp }, "a full disk uses up no attempt")
        #expect(full?.message?.contains("\n") == false, "one readable line")
        try job.expectExactlyOnce()
    }
}

/// The journal on a full disk: the write fails with the real errno and leaves no partial line.
@Suite(.enabled(if: Tmpfs.canMount, "mounting a tmpfs needs root")) struct JournalOnAFullDiskTests {
    @Test func aJournalWriteOnAFullDiskFailsWithTheRealErrorAndLeavesNoPartialLine() throws {
        let dir = try TemporaryDirectory(prefix: "tagood-full-journal")
        let disk = try Tmpfs(path: dir.path + "/disk", size: "64k")
        let path = disk.path + "/journal.jsonl"
        let journal = try Journal(path: path)
        try journal.append(JournalRecord(.started, time: 0, planHash: "p"))
        disk.fill()
        var failure: FileError?
        for i in 0..<10_000 { // fill the journal's last page, then it needs a page the disk does not have
            do {
                try journal.append(
                    JournalRecord(
                        .assigned, time: Double(i), shard: ShardID(dataset: "d", index: i), attempt: 1,
                        worker: "w", message: String(repeating: "x", count: 100)))
            } catch {
                failure = error
                break
            }
        }
        let error = try #require(failure, "the disk filled up")
        #expect(error.errno == ENOSPC && error.description.contains("No space left on device"), "\(error)")
        let bytes = try FileBytes.read(path)
        #expect(bytes.last == UInt8(ascii: "\n"), "no partial line is left")
        let records = try Journal.read(path: path)
        #expect(records.count == bytes.filter { $0 == UInt8(ascii: "\n") }.count && records.count >= 1)
        #expect(records.first?.event == .started)
    }
}
