import Datasets
import Job
import TagoodSupport
import Testing

@Suite struct JobDirectoryTests {
    let id = ShardID(dataset: "imagenet-val", index: 42)

    @Test func everyPathOfAShardIsAFunctionOfItsIdentity() {
        let directory = JobDirectory("/out/jobs/../job")
        #expect(directory.path == "/out/job")
        #expect(directory.shardFile(id) == "/out/job/shards/imagenet-val/shard-00042.h5")
        #expect(JobDirectory.relativeShardFile(id) == "shards/imagenet-val/shard-00042.h5")
        let staging = directory.stagingFile(id, attempt: 3, worker: "gpu-node-1:4711")
        #expect(staging == "/out/job/shards/imagenet-val/shard-00042.h5.tmp-a3-gpu-node-1_3A4711")
        #expect(
            AtomicFile.target(ofTemporary: staging) == directory.shardFile(id), "a staging file renames onto its shard")
        #expect(staging != directory.stagingFile(id, attempt: 4, worker: "gpu-node-1:4711"))
        #expect(staging != directory.stagingFile(id, attempt: 3, worker: "gpu-node-2:4711"))
    }

    /// The files of docs/DESIGN.md's job-directory tree, each from its one name in `JobDirectory`.
    @Test func everyFileOfTheTreeHasItsName() {
        let d = JobDirectory("/out/job")
        let range = ShardRange(index: 42, start: 0, count: 8)
        let planned = PlannedShard(id: id, role: .idVal, datasetHash: "h", range: range)
        let shard = d.committed(planned, checksum: "00ff")
        let expected: [(String, String)] = [
            (d.centersFile, "reduce/centers.bin"), (d.summaryFile, "reduce/summary.json"),
            (d.scoresFile(dataset: "inat"), "reduce/scores-inat.json"),
            (d.file(relative: JobDirectory.relativeScoresFile(dataset: "inat")), "reduce/scores-inat.json"),
            (d.partialFile(shard), "reduce/partials/imagenet-val/shard-00042-00ff.bin"),
            (d.reduceJournalFile, "reduce/journal.jsonl"),
            (d.reportJSONFile, "report/report.json"), (d.reportMarkdownFile, "report/report.md"),
            (d.reportHTMLFile, "report/report.html"),
            (d.trainCheckpointFile, "train/checkpoint.safetensors"), (d.trainHistoryFile, "train/history.jsonl"),
            (d.trainDataIndexFile, "train/data-index.json"),
            (d.slurmBatchFile(2), "slurm/workers-2.sbatch"), (d.slurmJobsFile, "slurm/jobs"),
            (d.workerLogFile(3), "logs/worker-3.log")
        ]
        for (path, relative) in expected { #expect(path == "/out/job/" + relative) }
    }

    @Test func removingTemporaryFilesLeavesShardsAndForeignFilesAlone() throws {
        let dir = try TemporaryDirectory(prefix: "tagood-jobdir")
        let directory = JobDirectory(dir.path)
        let folder = directory.shardsFolder + "/val"
        try FileSystem.makeDirectories(folder)
        let keep = ["shard-00000.h5", "notes.txt", "x.tmp-y.z"]
        let remove = ["shard-00001.h5.tmp-a1-w_1", "shard-00002.h5.tmp-77-3", "shard-00003.h5.tmp-a1-4821.tmp-4821-3"]
        for name in keep + remove { try AtomicFile.write("x", to: folder + "/" + name) }
        #expect(directory.removeTemporaryFiles() == remove.count)
        #expect(FileSystem.list(folder) == keep.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) })
    }

    @Test func aResumeGivesAShardWhoseAttemptsRanOutAFreshBudget() {
        // The last attempt failed and the coordinator died before `gave-up`: the shard is pending, out of attempts.
        let records = [
            JournalRecord(.started, time: 1),
            JournalRecord(.assigned, time: 2, shard: id, attempt: 1, worker: "w"),
            JournalRecord(.failed, time: 3, shard: id, attempt: 1, worker: "w", code: "image.crash", message: "boom")
        ]
        let stuck = JobState(shards: [id], replaying: records)
        #expect(stuck.shards[id]?.status == .pending && stuck.shards[id]?.attemptsUsed == 1)
        let resumed = JobState(shards: [id], replaying: records + [JournalRecord(.started, time: 4, resume: true)])
        #expect(
            resumed.shards[id]?.attemptsUsed == 0 && resumed.shards[id]?.lastAttempt == 1,
            "attempt numbers never repeat")
    }
}
