import ArgumentParser
import Cluster
import Datasets
import Foundation
import Transport
import Job
import TagoodSupport

/// `tagood status`: where a job stands, from its plan and journal (works while it runs and after it died).
struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show a job's shards (done, running, pending, failed), its rate, ETA and last errors.",
        discussion: """
        Reads plan.json and journal.jsonl only, so it is safe while the job runs and useful after it died.

        Example:
          tagood status out/demo
        """
    )

    @Argument(help: "The job directory.") var jobDirectory: String

    @Option(help: "How many recent errors to show.") var errors: Int = 5

    mutating func run() throws {
        let snapshot = try JobSnapshot(path: jobDirectory)
        let (directory, plan, records, state) = (snapshot.directory, snapshot.plan, snapshot.records, snapshot.state)

        print("job \(directory.path) — plan \(plan.hash), \(Format.count(plan.imageCount)) images in \(plan.shardCount) shards")
        print(coordinatorLine(directory, records: records))
        if let slurm = SlurmLauncher.status(of: directory) { print(slurm) }
        var table = TextTable("dataset", "role", "shards", "done", "running", "pending", "failed", "images done", "unreadable",
                              rightAligned: [2, 3, 4, 5, 6, 7, 8])
        var doneImages = 0, totalImages = 0
        for dataset in plan.datasets {
            var done = 0, running = 0, pending = 0, failed = 0, images = 0, unreadable = 0
            for range in dataset.shards {
                let s = state.shards[ShardID(dataset: dataset.spec.name, index: range.index)]!
                switch s.status {
                case .committed: done += 1; images += s.images; unreadable += s.failedImages
                case .running: running += 1
                case .pending: pending += 1
                case .failed: failed += 1
                }
            }
            doneImages += images
            totalImages += dataset.images.count
            table.add(dataset.spec.name, dataset.spec.role.rawValue, Format.count(dataset.shards.count), Format.count(done),
                      Format.count(running), Format.count(pending), Format.count(failed),
                      "\(Format.count(images))/\(Format.count(dataset.images.count))", Format.count(unreadable))
        }
        print("")
        print(table.render())
        print("")
        // Rate over the latest session: images committed since its `started` record.
        if let start = records.last(where: { $0.event == .started }) {
            let commits = records.filter { $0.event == .committed && $0.time >= start.time }
            if let last = commits.last, last.time > start.time {
                let images = commits.reduce(0) { $0 + ($1.images ?? 0) }
                let rate = Double(images) / (last.time - start.time)
                let eta = rate > 0 && doneImages < totalImages
                    ? ", ETA \(ProgressView.duration(Double(totalImages - doneImages) / rate))" : ""
                print("rate: \(Format.fixed(rate, 1)) images/s in the latest session\(eta)")
            }
        }
        if state.isComplete { print("complete: every shard is committed") }
        let problems = records.filter { [.failed, .expired, .gaveUp, .invalid, .abandoned].contains($0.event) }.suffix(errors)
        if !problems.isEmpty {
            print("last errors:")
            for r in problems {
                let time = Date(timeIntervalSince1970: r.time).formatted(.iso8601.time(includingFractionalSeconds: false))
                let attempt = r.attempt.map { " attempt \($0)" } ?? ""
                print("  \(time) \(r.event.rawValue) \(r.shard?.description ?? "-")\(attempt) [\(r.code ?? "-")] \(r.message ?? "")")
            }
        }
        let failed = state.failed
        if !failed.isEmpty { print("\(failed.count) shard(s) failed for good; run: tagood resume \(directory.path)") }
    }

    private func coordinatorLine(_ directory: JobDirectory, records: [JournalRecord]) -> String {
        let info = CoordinatorInfo.read(path: directory.coordinatorFile)
        guard JobLock.isHeld(directory) else {
            return info.map { "coordinator: not running (last pid \($0.pid))" } ?? "coordinator: not started"
        }
        let holder = JobLock.holder(of: directory)
        let pid = holder?.pid ?? info?.pid ?? 0
        return "coordinator: running (pid \(pid) on \(holder?.host ?? "?"), \(info?.endpoint ?? "endpoint not yet known"))"
    }
}
