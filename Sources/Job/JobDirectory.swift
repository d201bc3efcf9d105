import Datasets
import TagoodSupport

#if canImport(Glibc)
import Glibc
#endif

/// A job directory and every path in it: the contract between the stages (docs/DESIGN.md).
///
///     <out>/<job>/job.yaml, plan.json, journal.jsonl, coordinator.json, logs/, slurm/, keys/,
///                 shards/<dataset>/shard-00042.h5, reduce/, train/, report/
///
/// Paths are derived here and nowhere else. A shard's final file and the staging file of one of its
/// attempts are functions of the shard (and of the attempt and the worker): the coordinator and the
/// worker compute the same relative names from the assignment, each under its own mount of the job
/// directory, and nothing from the network is used as a path.
public struct JobDirectory: Sendable, Equatable {
    public let path: String

    public init(_ path: String) { self.path = Path.normalize(path) }

    public var jobFile: String { path + "/job.yaml" }
    public var planFile: String { path + "/plan.json" }
    /// `tar-index/<dataset>.tarindex`: where a tar dataset's images lie in its tars (``ArchiveIndexFile``),
    /// written with the plan.
    public func archiveIndexFile(dataset: String) -> String {
        ArchiveIndex.file(besidePlan: planFile, dataset: dataset)
    }
    public var journalFile: String { path + "/journal.jsonl" }
    /// The running coordinator's lock (``JobLock``).
    public var lockFile: String { path + "/coordinator.lock" }
    /// Where the running coordinator says where it is (``CoordinatorInfo``).
    public var coordinatorFile: String { path + "/coordinator.json" }
    public var shardsFolder: String { path + "/shards" }
    public var logsFolder: String { path + "/logs" }
    /// `logs/worker-<n>.log`: the output of local worker `n` (`ProcessLauncher`).
    public func workerLogFile(_ n: Int) -> String { logsFolder + "/worker-\(n).log" }
    /// `slurm/`: the Slurm launcher's batch scripts and submitted job ids.
    public var slurmFolder: String { path + "/slurm" }
    /// `slurm/workers-<n>.sbatch`: the Slurm launcher's `n`-th batch script (from 1).
    public func slurmBatchFile(_ n: Int) -> String { slurmFolder + "/workers-\(n).sbatch" }
    /// `slurm/jobs`: the Slurm job ids the launcher submitted, one a line.
    public var slurmJobsFile: String { slurmFolder + "/jobs" }
    /// `reduce/`: the reducer's outputs.
    public var reduceFolder: String { path + "/reduce" }
    /// `reduce/partials/`: one partial per shard.
    public var partialsFolder: String { reduceFolder + "/partials" }
    /// `reduce/partials/<dataset>/`: the partials of one dataset's shards.
    public func partialsFolder(dataset: String) -> String { partialsFolder + "/" + dataset }
    /// The start of the name of every partial of shard `id`, whatever its checksum: `shard-00042-`.
    public static func partialNamePrefix(_ id: ShardID) -> String { "shard-\(ShardRange.padded(id.index))-" }
    /// `reduce/partials/<dataset>/shard-00042-<file checksum>.bin`: the partial of a committed shard. The
    /// checksum in the name gives a redone shard (new checksum) a new partial.
    public func partialFile(_ shard: CommittedShard) -> String {
        partialsFolder(dataset: shard.dataset) + "/" + Self.partialNamePrefix(shard.id) + shard.checksum + ".bin"
    }
    /// `reduce/journal.jsonl`: the journal of a distributed reduce (`tagood reduce --cluster`).
    public var reduceJournalFile: String { reduceFolder + "/journal.jsonl" }
    /// `reduce/centers.bin`: the class centers, means, covariances and KNN bank list (`CenterModel`).
    public var centersFile: String { reduceFolder + "/centers.bin" }
    /// `reduce/summary.json`: what the reduce found and computed (`ReduceSummary`), read by `tagood report`.
    public var summaryFile: String { reduceFolder + "/summary.json" }
    /// The score file of a scored dataset, relative to the job directory: `reduce/scores-<dataset>.json`
    /// (the summary names it so).
    public static func relativeScoresFile(dataset: String) -> String { "reduce/scores-\(dataset).json" }
    /// `reduce/scores-<dataset>.json`: every score of every readable image of a scored dataset.
    public func scoresFile(dataset: String) -> String { file(relative: Self.relativeScoresFile(dataset: dataset)) }
    /// `report/`.
    public var reportFolder: String { path + "/report" }
    /// `report/report.json`: the metrics, as data.
    public var reportJSONFile: String { reportFolder + "/report.json" }
    /// `report/report.md`: the report's tables in Markdown.
    public var reportMarkdownFile: String { reportFolder + "/report.md" }
    /// `report/report.html`: the report with its charts.
    public var reportHTMLFile: String { reportFolder + "/report.html" }
    /// `tagood train`'s folder: the checkpoint, the training log and the data index.
    public var trainFolder: String { path + "/train" }
    /// The latest training checkpoint (projector, centers, optimiser state).
    public var trainCheckpointFile: String { trainFolder + "/checkpoint.safetensors" }
    /// `train/history.jsonl`: one line per trained epoch.
    public var trainHistoryFile: String { trainFolder + "/history.jsonl" }
    /// `train/pth/`: the checkpoints in the authors' layout (`checkpoint_<epoch>.pth`, `checkpoint_init.pth`),
    /// alone in their folder because the authors' `ood_inference_distance.py` reads every name containing
    /// "checkpoint" in it.
    public var trainPthFolder: String { trainFolder + "/pth" }
    /// `train/pth/checkpoint_<epoch>.pth`: the authors' checkpoint after the epoch of index `epoch` (from 0,
    /// as their `classifier_training_ema.py` counts).
    public func trainPthFile(epoch: Int) -> String { trainPthFolder + "/checkpoint_\(epoch).pth" }
    /// `train/pth/checkpoint_init.pth`: the initial projector, `{"projector": state_dict}`.
    public var trainPthInitFile: String { trainPthFolder + "/checkpoint_init.pth" }
    /// `train/data-index.json`: the usable-image counts of the `id-train` shards, keyed by shard checksum.
    public var trainDataIndexFile: String { trainFolder + "/data-index.json" }
    /// `keys/` (mode 0700): the job's CURVE keys, readable by the job's owner only.
    public var keysFolder: String { path + "/keys" }
    /// `keys/coordinator.key` (0600): the coordinator's key pair and the worker public key it accepts.
    public var coordinatorKeyFile: String { keysFolder + "/coordinator.key" }
    /// `keys/worker.key` (0600): the worker credential; whoever can read it can run this job's workers.
    public var workerCredentialFile: String { keysFolder + "/worker.key" }

    /// The committed file of a shard, relative to the job directory: `shards/<dataset>/shard-00042.h5`.
    public static func relativeShardFile(_ id: ShardID) -> String {
        "shards/\(id.dataset)/shard-\(ShardRange.padded(id.index)).h5"
    }

    /// The staging file of one attempt, relative to the job directory:
    /// `shards/<dataset>/shard-00042.h5.tmp-a<attempt>-<worker>` (``AtomicFile``'s one temporary-name
    /// scheme), the worker id escaped by ``stagingTag(worker:)``. A worker writes it once; only the
    /// coordinator renames it, into ``relativeShardFile(_:)``.
    public static func relativeStagingFile(_ id: ShardID, attempt: Int, worker: String) -> String {
        AtomicFile.temporaryPath(for: relativeShardFile(id), tag: "a\(attempt)-\(stagingTag(worker: worker))")
    }

    /// A worker id as it appears in staging names, one to one: letters, digits and `-` stay, every other
    /// byte (`_` included) becomes `_` and two hex digits (`vm:123` → `vm_3A123`, `vm_123` → `vm_5F123`),
    /// so two worker ids never share a staging file.
    public static func stagingTag(worker: String) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        for b in worker.utf8 {
            switch b {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"):
                out.append(b)
            default: out += [UInt8(ascii: "_"), hex[Int(b >> 4)], hex[Int(b & 15)]]
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The path of `relative`, a path relative to the job directory (one of the `relative…` names).
    public func file(relative: String) -> String { path + "/" + relative }

    /// The committed file of a shard.
    public func shardFile(_ id: ShardID) -> String { path + "/" + Self.relativeShardFile(id) }

    /// The staging file of attempt `attempt` of shard `id` by worker `worker`.
    public func stagingFile(_ id: ShardID, attempt: Int, worker: String) -> String {
        path + "/" + Self.relativeStagingFile(id, attempt: attempt, worker: worker)
    }

    /// Creates the directory tree for a plan, and refuses a tree in which a job folder is a symbolic
    /// link (``refuseSymlinkedFolders(datasets:)``).
    public func create(for plan: ShardPlan) throws {
        for folder in [logsFolder] + plan.datasets.map({ shardsFolder + "/" + $0.spec.name }) {
            try FileSystem.makeDirectories(folder)
        }
        try refuseSymlinkedFolders(datasets: plan.datasets.map(\.spec.name))
    }

    /// The job's own folders: `shards/`, `shards/<dataset>/` for each of `datasets`, `logs/`, `keys/`,
    /// `slurm/`, `reduce/`, `reduce/partials/` (and its dataset folders), `train/` and `report/`.
    public func folders(datasets: [String]) -> [String] {
        [shardsFolder] + datasets.map { shardsFolder + "/" + $0 }
            + [logsFolder, keysFolder, slurmFolder, reduceFolder, partialsFolder]
            + datasets.map { partialsFolder(dataset: $0) } + [trainFolder, reportFolder]
    }

    /// Throws `job.symlink` naming the first of the job's folders (``folders(datasets:)``) that is a
    /// symbolic link: tagood deletes and rewrites files in them, and would do it wherever the link
    /// points (another job's shards, a shared folder). Absent folders are fine.
    public func refuseSymlinkedFolders(datasets: [String]) throws(JobError) {
        for folder in folders(datasets: datasets) {
            var info = stat()
            guard FileName.withCString(folder, { lstat($0, &info) }) == 0 else { continue }
            guard (info.st_mode & S_IFMT) == S_IFLNK else { continue }
            throw JobError(
                .symlink,
                "\(FileName.display(folder)) is a symbolic link: tagood writes and deletes files in it, and will not do so wherever it points",
                subject: folder,
                remedy:
                    "replace the link with a real folder (move the files into it), or point the job's output at the other file system"
            )
        }
    }

    /// Whether the directory already holds a job.
    public var exists: Bool { FileSystem.exists(planFile) }

    /// Deletes the temporary and staging files that killed writers left under `shards/<dataset>/`;
    /// returns how many. Nothing may be writing to the job while it runs.
    @discardableResult
    public func removeTemporaryFiles() -> Int {
        var removed = 0
        for dataset in FileSystem.list(shardsFolder) where !dataset.hasPrefix(".") {
            let folder = shardsFolder + "/" + dataset
            for name in FileSystem.list(folder) where AtomicFile.isTemporary(name) {
                if unlink(folder + "/" + name) == 0 { removed += 1 }
            }
        }
        return removed
    }
}
