import ArgumentParser
import Cluster
import Coordination
import Foundation
import Job
import Launch
import Reduce
import TagoodSupport

/// `tagood reduce`: class centers and every OOD score of a finished job, streamed from its shards.
struct ReduceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reduce",
        abstract: "Compute the class centers and the OOD scores of a finished job (then run `tagood report`).",
        discussion: """
            Reads every committed shard once, on all cores, into a small partial file per shard under \
            <job>/reduce/partials/ (named by the shard's file checksum: a re-run only reads shards that changed, \
            and a killed reduce resumes where it stopped). It then merges the id-train partials into the class \
            centers (reduce/centers.bin) and scores every id-val and ood image (reduce/scores-<dataset>.json):

              tagood              max_c cos(object feature, center_c) x best selected-tag probability (0 without tokens)
              tagood-symmetric    the same, images without tokens scored by their pooled feature
              max-tag-prob, cosine, knn (k-th nearest id-train feature), mahalanobis-object, mahalanobis-pooled

            Examples:
              tagood reduce runs/imagenet
              tagood reduce runs/ood-only --centers-from runs/imagenet-train
              tagood reduce runs/imagenet --cluster cluster.yaml

            With --cluster, the missing partials are built by the cluster's workers (`tagood worker --reduce`), \
            handed out by a coordinator with the extraction's leases, heartbeats and attempts (journal: \
            <job>/reduce/journal.jsonl); the merge and the scores then run here, exactly as without it.
            """
    )

    @Argument(help: "The job directory (made by `tagood launch`).") var job: String

    @Option(
        help:
            "Take the centers from another reduced job directory, or from a named in-distribution dataset of this job.")
    var centersFrom: String?

    @Option(help: "Threads for reading shards and scoring (default: all cores).") var threads: Int?

    @Option(help: "k of the KNN score.") var knnK: Int = 50

    @Flag(
        help:
            "Verify every shard the reduce uses in full (seal, journal checksum, structure and content checksums), even one whose partial is cached; without it, only the shards read are checked against their seal and the journal."
    )
    var verify = false

    @Option(help: "Build the missing partials on this cluster's workers (a cluster.yaml) instead of local threads.")
    var cluster: String?

    @Flag(help: "Print only errors.") var quiet = false

    mutating func run() throws {
        let started = Date()
        let quiet = self.quiet
        let options = ReduceOptions(
            threads: threads ?? ParallelFor.defaultThreads, knnK: knnK, centersFrom: centersFrom, verify: verify)
        var builder: (any PartialsBuilder)?
        if let cluster {
            SignalMonitor.install()
            builder = ClusterPartialsBuilder(
                cluster: try ClusterSpec.load(path: cluster), executable: currentExecutable())
        }
        var logger = Console.logger("tagood.reduce", stream: .stderr, prefix: "reduce:")
        if quiet { logger.logLevel = .error }
        let outcome = try Reducer.run(
            directory: JobDirectory(job), options: options, builder: builder,
            logger: logger)
        guard !quiet else { return }
        let seconds = Date().timeIntervalSince(started)
        let s = outcome.summary
        print(
            "reduced \(job) in \(Format.fixed(seconds, 1)) s: \(outcome.builtPartials) shards read "
                + "(\(Format.bytes(outcome.shardBytesRead)) in \(Format.fixed(outcome.partialSeconds, 2)) s), \(outcome.reusedPartials) reused; "
                + "merge and scores \(Format.fixed(outcome.scoringSeconds, 2)) s")
        var table = TextTable(
            "dataset", "role", "images", "failed", "no tokens", "scored", "top-1", rightAligned: [2, 3, 4, 5, 6])
        for d in s.datasets {
            table.add(
                d.name, d.role, Format.count(d.images), Format.count(d.failed), Format.count(d.noTokens),
                d.scored.map(Format.count) ?? "-", d.top1Accuracy.map { Format.fixed($0 * 100, 2) + "%" } ?? "")
        }
        print(table.render())
        print(
            "centers: \(s.classes) classes from \(s.centersSourceDatasets.joined(separator: ", ")); KNN k = \(s.knnK) over \(Format.count(s.knnBank)) images"
        )
        for note in s.notes { print("note: \(note)") }
        print("next: tagood report \(job)")
    }
}
