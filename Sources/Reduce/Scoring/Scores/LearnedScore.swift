import Job
import Learning
import Logging
import TagoodSupport

/// ``ScoreColumn/tagoodLearned``: TagOOD with the learned centers of `tagood train` (``LearnedScorer``).
///
/// The one score that reads the scored shards again: the projector takes every token of an image, and the
/// partials keep only their mean. The shards are read on `threads` threads, each once, and their readable
/// images come out in the query rows' order.
struct LearnedScore: OODScore {
    let scorer: LearnedScorer

    var columns: [ScoreColumn] { [.tagoodLearned] }

    func score(_ context: ScoringContext, into output: inout ScoringOutput) throws {
        let shards = context.scoredShards
        context.logger.info("scoring: learned centers of \(scorer.path) on \(shards.count) shards")
        let perShard = Locked([[Double]](repeating: [], count: shards.count))
        try ParallelFor.run(count: shards.count, threads: context.threads) { i in
            let scores = try scorer.scores(shard: shards[i].path, checksum: shards[i].checksum)
            perShard.withLock { $0[i] = scores }
        }
        let all = perShard.value.flatMap { $0 }
        guard all.count == context.n else {
            throw ReduceError(
                .damaged,
                "the learned scorer read \(all.count) readable images but the partials hold "
                    + "\(context.n); delete \(shards.first.map { $0.path } ?? "the partials") 's partials under "
                    + "reduce/partials and reduce again")
        }
        // JSON has no infinities: a diverged or damaged projector is refused here, naming its checkpoint,
        // rather than when the scores file is written.
        if let bad = all.first(where: { !$0.isFinite }) {
            let count = all.count(where: { !$0.isFinite })
            throw ReduceError(
                .damaged,
                "the trained projector gives \(count) of \(all.count) images a non-finite learned score (\(bad)): "
                    + "its weights overflow (the training diverged, or the file is damaged)",
                subject: scorer.path,
                remedy:
                    "train again with `tagood train <job> --restart` (a lower --lr if it diverged), or delete \(scorer.path) to reduce without the learned score"
            )
        }
        output.columns[.tagoodLearned] = all
        let epochs = scorer.checkpoint.map { "\($0.epochsDone) of \($0.options.epochs) epochs" } ?? "?"
        output.notes.append("TagOOD (learned centers): projector and centers from \(scorer.path) (\(epochs))")
    }
}
