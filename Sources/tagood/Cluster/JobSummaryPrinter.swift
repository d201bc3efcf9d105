import Cluster
import Datasets
import Foundation
import Job
import TagoodSupport
import Transport

/// The end-of-run summary of `launch` and `resume`, and their exit codes.
enum JobSummaryPrinter {
    /// Prints the per-dataset table and the failed shards; returns the process exit code.
    static func print(_ summary: JobRunner.Summary, directory: JobDirectory) -> Int32 {
        let state = summary.state
        var table = TextTable(
            "dataset", "shards", "committed", "failed", "images", "unreadable", "tokens",
            rightAligned: [1, 2, 3, 4, 5, 6])
        for dataset in summary.plan.datasets {
            var committed = 0, failed = 0, images = 0, unreadable = 0, tokens = 0
            for range in dataset.shards {
                let s = state.shards[ShardID(dataset: dataset.spec.name, index: range.index)]!
                switch s.status {
                case .committed: committed += 1; images += s.images; unreadable += s.failedImages; tokens += s.tokens
                case .failed: failed += 1
                default: break
                }
            }
            table.add(
                dataset.spec.name, Format.count(dataset.shards.count), Format.count(committed), Format.count(failed),
                Format.count(images), Format.count(unreadable), Format.count(tokens))
        }
        Swift.print("")
        Swift.print(table.render())
        Swift.print("")
        switch summary.outcome {
        case .complete where state.isComplete:
            Swift.print("all \(summary.plan.shardCount) shards committed and verified in \(directory.shardsFolder)")
            return 0
        case .complete:
            // Never claim completion from the outcome alone: the counts decide.
            Swift.print(
                "\(summary.plan.shardCount - state.committed.count) of \(summary.plan.shardCount) shards are not committed; run: tagood resume \(directory.path)"
            )
            return 1
        case .shardsFailed(let failed):
            Swift.print("\(failed.count) shard(s) FAILED after every attempt:")
            for id in failed {
                if case .failed(let code, let message)? = state.shards[id]?.status {
                    Swift.print("  \(id) [\(code)] \(message)")
                }
            }
            Swift.print("the other shards are committed. Fix the cause, then run: tagood resume \(directory.path)")
            return 1
        case .interrupted:
            Swift.print(
                "interrupted: \(state.committed.count) of \(summary.plan.shardCount) shards are committed; the journal is consistent."
            )
            Swift.print("continue with: tagood resume \(directory.path)")
            return 130
        }
    }
}
