import Cluster
import Coordination
import Datasets
import Foundation
import Job
import Logging
import TagoodSupport
import Transport

/// Shows a running job: per-dataset bars with images/s and ETA on a terminal, a log line every 10 s
/// otherwise; notable events (workers joining, leases expiring, failures) as timestamped lines.
final class ProgressView {
    private let plan: ShardPlan
    private let isTerminal = isatty(1) == 1
    private let started = Date()
    private var drawnLines = 0
    private var lastLog = Date.distantPast
    private var lastDraw = Date.distantPast

    private let logger: Logger

    /// A view of `plan`'s progress; its lines go through `logger`, above the bars.
    init(plan: ShardPlan, logger: Logger) {
        self.plan = plan
        self.logger = logger
        Console.beforeLine = { [weak self] in self?.clearBars() }
    }

    /// Prints a timestamped line (above the bars on a terminal).
    func log(_ text: String, _ metadata: Logger.Metadata? = nil) {
        logger.info("\(text)", metadata: metadata)
    }

    /// The run's observer: events as lines, ticks as bars.
    var observer: ClusterRun.Observer {
        ClusterRun.Observer(onEvent: { [self] in handle($0) }, onTick: { [self] in show($0, running: $1) })
    }

    func handle(_ event: CoordinatorEvent) {
        switch event {
        case .workerJoined(let hello):
            log(
                "worker \(hello.workerID) joined (\(hello.device)\(hello.pinned.isEmpty ? "" : " " + hello.pinned.map(String.init).joined(separator: ",")), \(hello.threads) threads)"
            )
        case .workerRefused(let worker, let reason):
            log("refused worker \(worker): \(reason)")
        case .assigned:
            break
        case .committed(let shard, let attempt, let images, let failed, _):
            if failed > 0 {
                log(
                    "shard \(shard) committed (attempt \(attempt)) with \(failed) of \(images) images unreadable",
                    ["shard": "\(shard)", "attempt": "\(attempt)"])
            }
        case .attemptFailed(let shard, let attempt, let code, let message):
            log(
                "shard \(shard) attempt \(attempt) failed [\(code)]: \(message)",
                ["shard": "\(shard)", "attempt": "\(attempt)"])
        case .leaseExpired(let shard, let attempt, let worker, let reason):
            log(
                "shard \(shard) attempt \(attempt) re-queued: \(reason)",
                ["shard": "\(shard)", "attempt": "\(attempt)", "worker": "\(worker)"])
        case .staleResultDiscarded(let shard, let attempt, let worker):
            log(
                "discarded a late result for shard \(shard) attempt \(attempt) from \(worker)",
                ["shard": "\(shard)", "attempt": "\(attempt)", "worker": "\(worker)"])
        case .gaveUp(let shard, let code, let message):
            log("shard \(shard) FAILED for good [\(code)]: \(message)")
        case .stopping(let grace):
            log(
                "stopping: no new shards; running shards may finish within \(Int(grace)) s (press Ctrl-C again to stop now)"
            )
        case .diskFull(let message, let retry):
            logger.warning(
                "\(message): no new shards for \(Format.fixed(retry, 0)) s, then retrying with a growing back-off; the attempts are not charged. Free some space and the job carries on."
            )
        case .shortOfResources(let message, let retry):
            logger.warning(
                "the coordinator is short of file descriptors or memory (\(message)): no new shards for \(Format.fixed(retry, 0)) s, then retrying with a growing back-off; the attempts are not charged"
            )
        case .straysNotLogged(let count):
            log("\(count) more messages from unknown or stale peers were not logged (rate limit)")
        case .abandoned(let shard, let attempt):
            log("abandoned shard \(shard) attempt \(attempt)")
        }
    }

    struct Totals {
        var images = 0, done = 0, shards = 0, committed = 0, failed = 0
    }

    private func totals(_ state: JobState, running: [ShardID: Int]) -> [(String, Totals)] {
        plan.datasets.map { dataset in
            var t = Totals()
            t.images = dataset.images.count
            t.shards = dataset.shards.count
            for range in dataset.shards {
                let id = ShardID(dataset: dataset.spec.name, index: range.index)
                switch state.shards[id]?.status {
                case .committed?: t.committed += 1; t.done += range.count
                case .failed?: t.failed += 1
                default: t.done += running[id] ?? 0
                }
            }
            return (dataset.spec.name, t)
        }
    }

    private func show(_ state: JobState, running: [ShardID: Int]) {
        let now = Date()
        let rows = totals(state, running: running)
        let elapsed = max(0.001, now.timeIntervalSince(started))
        if isTerminal {
            guard now.timeIntervalSince(lastDraw) >= 0.25 else { return }
            lastDraw = now
            clearBars()
            let width = rows.map(\.0.count).max() ?? 8
            for (name, t) in rows {
                let fraction = t.images == 0 ? 1 : Double(t.done) / Double(t.images)
                let filled = Int(fraction * 30)
                let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: 30 - filled)
                let rate = Double(t.done) / elapsed
                let eta = rate > 0 && t.done < t.images ? " ETA \(Self.duration(Double(t.images - t.done) / rate))" : ""
                let failed = t.failed > 0 ? " \(t.failed) FAILED" : ""
                print(
                    "\(name.padding(toLength: width, withPad: " ", startingAt: 0)) \(bar) \(Format.count(t.done))/\(Format.count(t.images)) images  \(t.committed)/\(t.shards) shards  \(Format.fixed(rate, 1)) img/s\(eta)\(failed)"
                )
            }
            drawnLines = rows.count
            fflush(nil)
        } else if now.timeIntervalSince(lastLog) >= 10 {
            lastLog = now
            let done = rows.reduce(0) { $0 + $1.1.done }, images = rows.reduce(0) { $0 + $1.1.images }
            let committed = rows.reduce(0) { $0 + $1.1.committed }, shards = rows.reduce(0) { $0 + $1.1.shards }
            let rate = Double(done) / elapsed
            let eta = rate > 0 && done < images ? ", ETA \(Self.duration(Double(images - done) / rate))" : ""
            log(
                "progress: \(committed)/\(shards) shards, \(Format.count(done))/\(Format.count(images)) images, \(Format.fixed(rate, 1)) images/s\(eta)"
            )
        }
    }

    /// Leaves the bars as they are (call before printing the summary).
    func finish() {
        drawnLines = 0
        Console.beforeLine = nil
    }

    private func clearBars() {
        guard isTerminal, drawnLines > 0 else { return }
        print("\u{1B}[\(drawnLines)A\u{1B}[J", terminator: "")
        drawnLines = 0
    }

    static func duration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        if s < 60 { return "\(s)s" }
        if s < 3600 { return "\(s / 60)m\(String(format: "%02d", s % 60))s" }
        return "\(s / 3600)h\(String(format: "%02d", (s % 3600) / 60))m"
    }
}
