import Datasets
import Foundation
import Job
import TagoodSupport
import TagoodTestSupport
import Testing

/// What `tagood status` shows of a job: per-dataset tallies, the latest session's rate and the ETA.
@Suite struct JobProgressTests {
    /// `val`: 10 images in shards of 4, 4 and 2; `far`: 3 images in one shard.
    static func plan() throws -> ShardPlan {
        func dataset(_ name: String, _ role: DatasetRole, images: Int) throws -> PlannedDataset {
            try ShardPlan.plan(
                DatasetSpec(name: name, role: role, layout: .nested, root: "/data/\(name)"),
                images: ImageList(
                    paths: (0..<images).map { "\(name)/\($0).jpg" },
                    labels: [Int32](repeating: -1, count: images)),
                imagesPerShard: 4)
        }
        return try ShardPlan(
            imagesPerShard: 4,
            datasets: [dataset("val", .idVal, images: 10), dataset("far", .ood, images: 3)])
    }

    /// `records` replayed over `plan`, and counted.
    static func progress(_ plan: ShardPlan, _ records: [JournalRecord]) -> JobProgress {
        JobProgress(plan: plan, state: JobState(shards: plan.shardIDs, replaying: records), records: records)
    }

    static let val = (0..<3).map { ShardID(dataset: "val", index: $0) }
    static let far = ShardID(dataset: "far", index: 0)

    /// Two sessions on a clock moved by hand: the first commits val/2 (2 images); the second, 100 s
    /// later, commits val/0 (4 images, 1 unreadable) after 10 s, runs val/1, and gives far/0 up.
    static func records() -> [JournalRecord] {
        let time = ManualTime(start: 0)
        var records: [JournalRecord] = []
        func add(
            _ event: JournalRecord.Event, after seconds: Double = 0, _ shard: ShardID? = nil, images: Int? = nil,
            failedImages: Int? = nil, code: String? = nil
        ) {
            time.advance(seconds)
            records.append(
                JournalRecord(
                    event, time: time.wall(), shard: shard, attempt: shard.map { _ in 1 },
                    worker: event == .assigned ? "w" : nil,
                    checksum: event == .committed ? "c" : nil, images: images,
                    failedImages: failedImages, code: code, message: code))
        }
        add(.started)
        add(.assigned, val[2])
        add(.committed, after: 50, val[2], images: 2, failedImages: 0)
        add(.started, after: 50)
        add(.assigned, val[0])
        add(.assigned, far)
        add(.failed, after: 1, far, code: "shard.bad")
        add(.gaveUp, far, code: "shard.bad")
        add(.committed, after: 9, val[0], images: 4, failedImages: 1)
        add(.assigned, val[1])
        return records
    }

    @Test func talliesEachDatasetsShardsAndImages() throws {
        let plan = try Self.plan()
        let records = Self.records()
        let progress = Self.progress(plan, records)
        var val = JobProgress.Dataset(name: "val", role: .idVal, shards: 3, images: 10)
        (val.done, val.running, val.doneImages, val.unreadable) = (2, 1, 6, 1)
        var far = JobProgress.Dataset(name: "far", role: .ood, shards: 1, images: 3)
        far.failed = 1
        #expect(progress.datasets == [val, far])
        #expect(progress.doneImages == 6 && progress.images == 13)
    }

    @Test func theRateIsTheLatestSessionsAndTheETAIsWhatIsLeftAtIt() throws {
        let plan = try Self.plan()
        let records = Self.records()
        let progress = Self.progress(plan, records)
        // 4 images in the 10 s from the second `started` to its last commit; the first session's 2 do not count.
        #expect(progress.rate == 0.4)
        #expect(progress.etaSeconds == 7 / 0.4)
    }

    @Test func noRateBeforeACommitLaterThanTheSessionsStartAndNoETAWhenNothingIsLeft() throws {
        let plan = try Self.plan()
        func progress(_ records: [JournalRecord]) -> JobProgress { Self.progress(plan, records) }
        #expect(progress([]).rate == nil && progress([]).etaSeconds == nil)
        let started = JournalRecord(.started, time: 5)
        #expect(progress([started]).rate == nil)
        let sameInstant = JournalRecord(.committed, time: 5, shard: Self.val[0], attempt: 1, checksum: "c", images: 4)
        #expect(progress([started, sameInstant]).rate == nil)
        let empty = JournalRecord(.committed, time: 6, shard: Self.val[0], attempt: 1, checksum: "c", images: 0)
        #expect(progress([started, empty]).rate == 0 && progress([started, empty]).etaSeconds == nil)

        var all = [started]
        for (i, id) in (Self.val + [Self.far]).enumerated() {
            let images = plan.shard(id)!.range.count
            all.append(
                JournalRecord(
                    .committed, time: 6 + Double(i), shard: id, attempt: 1, checksum: "c",
                    images: images))
        }
        let done = progress(all)
        #expect(done.doneImages == done.images && done.rate == 13.0 / 4)
        #expect(done.etaSeconds == nil)
    }

    @Test func aSnapshotsProgressIsItsPlanAndJournals() throws {
        let dir = try TemporaryDirectory(prefix: "tagood-progress")
        let directory = JobDirectory(dir.path + "/job")
        let plan = try Self.plan()
        try directory.create(for: plan)
        try plan.write(to: directory.planFile)
        let journal = try Journal(path: directory.journalFile)
        for record in Self.records() { try journal.append(record) }
        let snapshot = try JobSnapshot(path: directory.path)
        #expect(snapshot.progress == JobProgress(plan: plan, state: snapshot.state, records: Self.records()))
        #expect(snapshot.progress.rate == 0.4)
    }
}
