import Foundation
import Job
import TagoodTestSupport
import Testing

/// A job directory is what the user names: after it is copied or moved, `resume` and `status` act on it,
/// not on the place its `job.yaml` says it was launched in.
@Suite(.serialized) struct MovedJobTests {
    /// Launches a job to completion, then gives it to `relocate` (which copies or moves it away from
    /// `out/job`) and deletes one shard of the relocated copy.
    func relocatedJob(_ relocate: (String, String) throws -> Void) throws -> (ClusterFixture, JobDirectory) {
        let job = try ClusterFixture()
        let launched = try job.launch()
        #expect(launched.status == 0, "\(launched.stdout)")
        let relocated = JobDirectory(job.root + "/elsewhere/renamed")
        try FileManager.default.createDirectory(atPath: job.root + "/elsewhere", withIntermediateDirectories: true)
        try relocate(job.jobDirectory.path, relocated.path)
        try FileManager.default.removeItem(atPath: relocated.shardFile(ShardID(dataset: "far", index: 1)))
        return (job, relocated)
    }

    @Test func resumingACopyRedoesTheCopyAndLeavesTheOriginalAlone() throws {
        let (job, copy) = try relocatedJob { try FileManager.default.copyItem(atPath: $0, toPath: $1) }
        let originalJournal = try String(contentsOfFile: job.jobDirectory.journalFile, encoding: .utf8)

        let resumed = try TagoodProcess.run(["resume", copy.path, "--cluster", "cluster.yaml"], cwd: job.root)
        #expect(resumed.status == 0, "\(resumed.stdout)\(resumed.stderr)")
        #expect(resumed.stdout.contains("job directory: \(copy.path)"), "\(resumed.stdout)")
        try ClusterFixture.expectExactlyOnce(copy)
        let copyRecords = try Journal.read(path: copy.journalFile)
        #expect(copyRecords.contains { $0.event == .invalid || $0.event == .assigned })
        #expect(
            try String(contentsOfFile: job.jobDirectory.journalFile, encoding: .utf8) == originalJournal,
            "the original job directory was not touched")
    }

    @Test func resumingAMovedJobFinishesItWhereItIsNow() throws {
        let (job, moved) = try relocatedJob { try FileManager.default.moveItem(atPath: $0, toPath: $1) }

        let status = try TagoodProcess.run(["status", moved.path])
        #expect(status.status == 0 && status.stdout.contains("far"), "\(status.stdout)")
        let resumed = try TagoodProcess.run(["resume", moved.path, "--cluster", "cluster.yaml"], cwd: job.root)
        #expect(resumed.status == 0, "\(resumed.stdout)\(resumed.stderr)")
        try ClusterFixture.expectExactlyOnce(moved)
        #expect(
            !FileManager.default.fileExists(atPath: job.jobDirectory.path),
            "resume rebuilt the job at the path it was launched in")
    }
}
