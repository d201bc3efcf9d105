import Datasets
import Foundation
import Job
import Shards
import TagoodSupport
import TagoodTestSupport
import Testing
import Transport

@testable import Cluster

#if canImport(Glibc)
import Glibc
#endif

/// Real jobs: a `tagood launch` process, two pinned worker processes, ZeroMQ on 127.0.0.1, HDF5 shards
/// on disk — and the faults docs/DESIGN.md names, caused for real (kill -9, SIGSTOP, a flipped byte).
@Suite(.serialized) struct ClusterJobTests {
    @Test func twoWorkersCommitEveryImageExactlyOnce() throws {
        let job = try ClusterFixture()
        let result = try job.launch(failpoints: "delay-per-image-ms=100")
        #expect(result.status == 0, "\(result.stdout)")
        #expect(result.stdout.contains("all 6 shards committed and verified"))
        try job.expectExactlyOnce()
        let workers = Set(try job.journal().filter { $0.event == .assigned }.compactMap(\.worker))
        #expect(workers.count == 2, "both workers took shards: \(workers)")
        let status = try TagoodProcess.run(["status", job.jobDirectory.path])
        #expect(status.stdout.contains("complete: every shard is committed"))
        // Each worker's device, from its hello (the journal's `joined`), and what it committed.
        let joined = try job.journal().filter { $0.event == .joined }
        #expect(Set(joined.compactMap(\.worker)) == workers, "\(joined)")
        #expect(status.stdout.contains("workers of the latest session:"), "\(status.stdout)")
        for worker in workers {
            let line = status.stdout.split(separator: "\n").first { $0.hasPrefix(worker + " ") }
            #expect(line?.contains(" cpu ") == true, "\(status.stdout)")
        }
    }

    @Test func aWorkerKilledMidShardIsReplacedAndItsShardRedoneOnce() throws {
        let job = try ClusterFixture()
        let run = try job.launchInBackground(failpoints: "delay-per-image-ms=150")
        let first = try #require(try job.waitForRecord { $0.event == .assigned })
        let victim = try #require(ClusterFixture.pid(ofWorker: first.worker))
        usleep(200_000) // mid-shard: one or two of its four images done
        kill(victim, SIGKILL)
        let result = run.wait()
        #expect(result.status == 0, "\(result.stdout)")
        #expect(ClusterFiles.wasRedoneOnce(first, in: try job.journal()))
        try job.expectExactlyOnce()
    }

    @Test func aStoppedWorkerLosesItsLeaseAndItsLateResultIsDiscarded() throws {
        let job = try ClusterFixture(images: 24)
        let run = try job.launchInBackground(failpoints: "delay-per-image-ms=100")
        let first = try #require(try job.waitForRecord { $0.event == .assigned })
        let victim = try #require(ClusterFixture.pid(ofWorker: first.worker))
        kill(victim, SIGSTOP)
        let expired = try job.waitForRecord(seconds: 30) { $0.event == .expired && $0.shard == first.shard }
        kill(victim, SIGCONT)
        #expect(expired != nil, "the lease of the stopped worker expired")
        let result = run.wait()
        #expect(result.status == 0, "\(result.stdout)")
        #expect(result.stdout.contains("discarded a late result for shard \(first.shard!) attempt \(first.attempt!)"))
        let commits = try job.journal().filter { $0.event == .committed && $0.shard == first.shard }
        #expect(commits.count == 1 && commits[0].attempt != first.attempt)
        try job.expectExactlyOnce()
    }

    @Test func aCoordinatorKilledMidJobIsResumedExactlyOnce() throws {
        let job = try ClusterFixture()
        let run = try job.launchInBackground(failpoints: "delay-per-image-ms=100")
        _ = try #require(try job.waitForRecord { $0.event == .committed })
        kill(run.pid, SIGKILL)
        _ = run.wait()
        let before = try job.journal().filter { $0.event == .committed }.count
        #expect(before < 6, "killed mid-job")
        let resumed = try job.resume()
        #expect(resumed.status == 0, "\(resumed.stdout)")
        try job.expectExactlyOnce()
        // A second resume has nothing to do and says so.
        let again = try job.resume()
        #expect(again.status == 0)
        #expect(again.stdout.contains("nothing to do"))
    }

    @Test func aFlippedByteInACommittedShardIsRedoneAlone() throws {
        let job = try ClusterFixture()
        #expect(try job.launch().status == 0)
        let target = job.jobDirectory.shardsFolder + "/far/shard-00001.h5"
        var bytes = try Data(contentsOf: URL(fileURLWithPath: target))
        bytes[bytes.count / 2] ^= 0x40
        try bytes.write(to: URL(fileURLWithPath: target))
        let started = try job.journal().count
        let resumed = try job.resume()
        #expect(resumed.status == 0, "\(resumed.stdout)")
        #expect(resumed.stdout.contains("shard far/1 will be redone"))
        let assigned = try job.journal().dropFirst(started).filter { $0.event == .assigned }.compactMap(\.shard)
        #expect(assigned == [ShardID(dataset: "far", index: 1)])
        try job.expectExactlyOnce()
    }

    @Test func aShardOfUndecodableImagesCommitsWithErrorsOnce() throws {
        // Root-level files come first in a nested scan: far/0 is exactly the four corrupt files.
        let job = try ClusterFixture(corrupt: ["bad0.jpg", "bad1.jpg", "bad2.png", "bad3.jpeg"])
        let result = try job.launch()
        #expect(result.status == 0, "\(result.stdout)")
        let far0 = ShardID(dataset: "far", index: 0)
        let records = try job.journal()
        #expect(records.filter { $0.event == .assigned && $0.shard == far0 }.count == 1)
        let commit = try #require(records.first { $0.event == .committed && $0.shard == far0 })
        #expect(commit.failedImages == 4 && commit.images == 4)
        #expect(result.stdout.contains("4 of 4 images unreadable"))
        try job.expectExactlyOnce()
    }

    @Test func aFIFOAndALinkToDevZeroNamedLikeImagesDoNotBlockTheJob() throws {
        // Issue 25, item 6: both were planned, then blocked a worker forever. Only regular files are
        // planned now (and read: ImageDecoder refuses anything else without blocking). The launch runs
        // in the background with a generous safety deadline, so a regression fails instead of hanging (at
        // the deadline SIGTERM stops the launch, which stops its workers: exit 130, checked without the fix).
        let job = try ClusterFixture()
        #expect(mkfifo(job.root + "/data/far/pipe.jpg", 0o644) == 0)
        #expect(symlink("/dev/zero", job.root + "/data/far/deep/zero.png") == 0)
        let result = try job.launchInBackground().wait(seconds: 600)
        #expect(result.status == 0, "\(result.stdout)")
        let commits = try job.journal().filter { $0.event == .committed }
        #expect(commits.count == 6 && commits.map(\.images).reduce(0) { $0 + ($1 ?? 0) } == 24)
        try job.expectExactlyOnce()
    }

    @Test func aShardThatCrashesItsWorkerFailsAfterMaxAttempts() throws {
        let job = try ClusterFixture(maxAttempts: 2)
        let result = try job.launch(failpoints: "crash-on-image=f005")
        #expect(result.status == 1, "\(result.stdout)")
        #expect(result.stdout.contains("1 shard(s) FAILED after every attempt"))
        #expect(result.stdout.contains("far/1 [lease.expired]"))
        let records = try job.journal()
        #expect(records.filter { $0.event == .assigned && $0.shard == ShardID(dataset: "far", index: 1) }.count == 2)
        #expect(records.filter { $0.event == .committed }.count == 5, "the rest of the job went on")
        let status = try TagoodProcess.run(["status", job.jobDirectory.path])
        #expect(status.stdout.contains("gave-up far/1"))
        #expect(status.stdout.contains("1 shard(s) failed for good"))
    }

    @Test func aShardWhoseGiveUpWasNeverJournaledIsNotReportedComplete() throws {
        // The coordinator died after the shard's last failure and before its `gave-up` record (seen for
        // real with a full disk): the journal ends with a pending shard that has no attempt left.
        let job = try ClusterFixture(maxAttempts: 2)
        #expect(try job.launch(failpoints: "crash-on-image=f005").status == 1)
        let lines = try String(contentsOfFile: job.jobDirectory.journalFile, encoding: .utf8).split(separator: "\n")
        try (lines.filter { !$0.contains("\"gave-up\"") }.joined(separator: "\n") + "\n")
            .write(toFile: job.jobDirectory.journalFile, atomically: true, encoding: .utf8)

        let relaunch = try job.launch(failpoints: "crash-on-image=f005")
        #expect(relaunch.status == 1, "never \"all committed\" with a shard missing: \(relaunch.stdout)")
        #expect(relaunch.stdout.contains("1 shard(s) FAILED after every attempt"), "\(relaunch.stdout)")
        #expect(try job.journal().last { $0.event == .gaveUp }?.shard == ShardID(dataset: "far", index: 1))

        // Without the failpoint, `resume` gives it a fresh budget and finishes the job exactly once.
        let resumed = try job.resume()
        #expect(
            resumed.status == 0 && resumed.stdout.contains("all 6 shards committed and verified"), "\(resumed.stdout)")
        try job.expectExactlyOnce()
    }

    @Test func aSecondCoordinatorOnTheSameJobFailsAtOnceAndStatusStillWorks() throws {
        let job = try ClusterFixture(images: 24)
        let run = try job.launchInBackground(failpoints: "delay-per-image-ms=250")
        _ = try #require(try job.waitForRecord { $0.event == .assigned })

        let commands = [
            ["launch", "job.yaml", "--cluster", "cluster.yaml"],
            ["resume", job.jobDirectory.path, "--cluster", "cluster.yaml"]
        ]
        for second in commands {
            let refused = try TagoodProcess.run(second, cwd: job.root)
            #expect(refused.status != 0, "\(second[0]): \(refused.stdout)")
            #expect(
                refused.stderr.contains("job \(job.jobDirectory.path) is being run by pid \(run.pid) on host"),
                "\(refused.stderr)")
            // It fails at once, not after a run: the first coordinator is still at work when it returns.
            #expect(run.process.isRunning, "\(second[0]) returned only after the first run ended")
            #expect(try !job.journal().contains { $0.event == .finished }, "\(second[0]) waited for the first run")
        }
        let status = try TagoodProcess.run(["status", job.jobDirectory.path])
        #expect(
            status.status == 0 && status.stdout.contains("coordinator: running (pid \(run.pid)"), "\(status.stdout)")

        let result = run.wait()
        #expect(result.status == 0, "\(result.stdout)")
        let records = try job.journal()
        #expect(records.filter { $0.event == .started }.count == 1, "only the first coordinator ever started")
        let leases = records.filter { $0.event == .assigned }.map { "\($0.shard!)#\($0.attempt!)" }
        #expect(Set(leases).count == leases.count, "no (shard, attempt) was leased twice")
        try job.expectExactlyOnce()
        // The kernel drops the lock with its holder: the job can be resumed at once.
        #expect(try job.resume().stdout.contains("nothing to do"))
    }

    @Test func anImageNamedInLatin1IsPlannedReadAndStoredUnderItsOwnBytes() throws {
        let job = try ClusterFixture()
        // f003.png becomes "f\xe9003.png": é in Latin-1, not valid UTF-8.
        let raw = Array((job.root + "/data/far/deep/f").utf8) + [0xE9] + Array("003.png".utf8)
        #expect(
            FileName.withCString(job.root + "/data/far/deep/f003.png") { old in
                FileName.withCString(FileName.decode(raw)) { rename(old, $0) }
            } == 0)

        let result = try job.launch()
        #expect(result.status == 0, "\(result.stdout)")
        try job.expectExactlyOnce()
        let plan = try ShardPlan.load(path: job.jobDirectory.planFile)
        let far = try #require(plan.datasets.first { $0.spec.name == "far" })
        let planned = try #require(far.images.paths.first { FileName.hasEscape($0) })
        #expect(FileName.display(planned) == "deep/f\\xe9003.png")
        var stored: ShardImage?
        for range in far.shards {
            let reader = try ShardReader(path: job.jobDirectory.shardFile(ShardID(dataset: "far", index: range.index)))
            try reader.forEach { if $0.path == planned { stored = $0 } }
            reader.close()
        }
        #expect(
            stored?.status == .ok, "decoded like any other image, not a per-image error: \(stored?.error ?? "missing")")
    }
}
