import ArgumentParser
import Cluster
import Datasets
import Foundation
import Job
import Launch
import TagoodSupport
import Transport

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

        print(
            "job \(directory.path) — plan \(plan.hash), \(Format.count(plan.imageCount)) images in \(plan.shardCount) shards"
        )
        print(coordinatorLine(directory, records: records))
        for line in ClusterSpec.Launcher.statusLines(of: directory) { print(line) }
        var table = TextTable(
            "dataset", "role", "shards", "done", "running", "pending", "failed", "images done", "unreadable",
            rightAligned: [2, 3, 4, 5, 6, 7, 8])
        let progress = snapshot.progress
        for d in progress.datasets {
            table.add(
                d.name, d.role.rawValue, Format.count(d.shards), Format.count(d.done), Format.count(d.running),
                Format.count(d.pending), Format.count(d.failed),
                "\(Format.count(d.doneImages))/\(Format.count(d.images))", Format.count(d.unreadable))
        }
        print("")
        print(table.render())
        print("")
        if let workers = Self.workerTable(records) {
            print("workers of the latest session:")
            print(workers)
            print("")
        }
        if let rate = progress.rate {
            let eta = progress.etaSeconds.map { ", ETA \(ProgressView.duration($0))" } ?? ""
            print("rate: \(Format.fixed(rate, 1)) images/s in the latest session\(eta)")
        }
        if state.isComplete { print("complete: every shard is committed") }
        let problems = records.filter { [.failed, .expired, .gaveUp, .invalid, .abandoned].contains($0.event) }.suffix(
            errors)
        if !problems.isEmpty {
            print("last errors:")
            for r in problems {
                let time = Date(timeIntervalSince1970: r.time).formatted(
                    .iso8601.time(includingFractionalSeconds: false))
                let attempt = r.attempt.map { " attempt \($0)" } ?? ""
                print(
                    "  \(time) \(r.event.rawValue) \(r.shard?.description ?? "-")\(attempt) [\(r.code ?? "-")] \(r.message ?? "")"
                )
            }
        }
        let failed = state.failed
        if !failed.isEmpty { print("\(failed.count) shard(s) failed for good; run: tagood resume \(directory.path)") }
    }

    /// The workers that joined since the last coordinator start: id, host, device, shards committed.
    static func workerTable(_ records: [JournalRecord]) -> String? {
        let start = records.lastIndex { $0.event == .started } ?? records.startIndex
        let session = records[start...]
        var order: [String] = []
        var joins: [String: JournalRecord] = [:]
        var committed: [String: Int] = [:]
        for r in session {
            guard let worker = r.worker else { continue }
            if r.event == .joined {
                if joins[worker] == nil { order.append(worker) }
                joins[worker] = r
            } else if r.event == .committed {
                committed[worker, default: 0] += 1
            }
        }
        guard !order.isEmpty else { return nil }
        var table = TextTable("worker", "host", "device", "committed", rightAligned: [3])
        for worker in order {
            let r = joins[worker]!
            table.add(worker, r.host ?? "?", r.device ?? "?", Format.count(committed[worker] ?? 0))
        }
        return table.render()
    }

    private func coordinatorLine(_ directory: JobDirectory, records: [JournalRecord]) -> String {
        let info = CoordinatorInfo.read(path: directory.coordinatorFile)
        guard JobLock.isHeld(directory) else {
            return info.map { "coordinator: not running (last pid \($0.pid))" } ?? "coordinator: not started"
        }
        let holder = JobLock.holder(of: directory)
        let pid = holder?.pid ?? info?.pid ?? 0
        return
            "coordinator: running (pid \(pid) on \(holder?.host ?? "?"), \(info?.endpoint ?? "endpoint not yet known"))"
    }
}
