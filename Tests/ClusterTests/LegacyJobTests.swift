import Cluster
import Foundation
import Job
import Launch
import Shards
import TagoodSupport
import TagoodTestSupport
import Testing

/// A job directory exactly as tagood 0.1.0 left it when its coordinator was killed mid-job
/// (Fixtures/legacy-job-0.1.0, made by tools/make_legacy_job_fixture.sh): its journal, plan, job file
/// and shards stay readable, and one `tagood resume` finishes it exactly once.
@Suite(.serialized) struct LegacyJobTests {
    /// Where the fixture was made; its job.yaml and plan.json hold absolute paths under it.
    static let madeAt = "/tmp/tagood-legacy-job"

    /// A copy of the fixture in a fresh folder, with its paths moved there and the workers on this host's cores.
    static func copy() throws -> TemporaryDirectory {
        let dir = try TemporaryDirectory(prefix: "tagood-legacy")
        let fixture = try #require(Bundle.module.url(forResource: "Fixtures/legacy-job-0.1.0", withExtension: nil)).path
        let fm = FileManager.default
        for item in try fm.contentsOfDirectory(atPath: fixture) {
            try fm.copyItem(atPath: fixture + "/" + item, toPath: dir.path + "/" + item)
        }
        for file in ["out/job/job.yaml", "out/job/plan.json"] {
            let path = dir.path + "/" + file
            let text = try String(contentsOfFile: path, encoding: .utf8)
                .replacingOccurrences(of: madeAt, with: dir.path)
                .replacingOccurrences(of: madeAt.replacingOccurrences(of: "/", with: "\\/"), with: dir.path)
            try text.write(toFile: path, atomically: true, encoding: .utf8)
        }
        let cores = CoreSet.available()
        let cluster = try String(contentsOfFile: dir.path + "/cluster.yaml", encoding: .utf8)
            .replacingOccurrences(of: "cores: \"0\"", with: "cores: \"\(cores[0])\"")
            .replacingOccurrences(of: "cores: \"1\"", with: "cores: \"\(cores[cores.count > 1 ? 1 : 0])\"")
        try cluster.write(toFile: dir.path + "/cluster.yaml", atomically: true, encoding: .utf8)
        return dir
    }

    @Test func aJobDirectoryOfTheEarlierVersionResumesExactlyOnce() throws {
        let dir = try Self.copy()
        let job = dir.path + "/out/job"
        let before = try JobSnapshot(path: job)
        #expect(!before.state.committed.isEmpty && !before.state.running.isEmpty, "the fixture stopped mid-job")
        let oldStaging = FileSystem.list(job + "/shards/near") + FileSystem.list(job + "/shards/far")
        #expect(oldStaging.contains { $0.contains(".tmp-a1-") }, "it holds 0.1.0's staging files: \(oldStaging)")

        let status = try TagoodProcess.run(["status", job])
        #expect(status.status == 0 && status.stdout.contains("running"), "\(status.stdout)\(status.stderr)")

        let resume = try TagoodProcess.run(["resume", job, "--cluster", "cluster.yaml"], cwd: dir.path)
        #expect(resume.status == 0, "\(resume.stdout)\(resume.stderr)")
        #expect(resume.stdout.contains("all 8 shards committed and verified"), "\(resume.stdout)")

        let after = try JobSnapshot(path: job)
        #expect(after.state.isComplete)
        for dataset in after.plan.datasets {
            var seen: [String] = []
            for range in dataset.shards {
                let id = ShardID(dataset: dataset.spec.name, index: range.index)
                guard case .committed(let checksum) = after.state.shards[id]?.status else {
                    Issue.record("\(id) is not committed")
                    continue
                }
                // 0.1.0 wrote no seal: the journal's checksum vouches for its files; the redone ones are sealed.
                let reader = try ShardReader(path: after.directory.shardFile(id), expectedFileChecksum: checksum)
                #expect(reader.integrity.isSealed == !before.state.committed.contains(id), "\(id)")
                _ = try reader.verify()
                try reader.forEach { seen.append($0.path) }
                reader.close()
            }
            #expect(seen == dataset.images.paths, "dataset \(dataset.spec.name): every image exactly once")
        }
        let leftovers = (FileSystem.list(job + "/shards/near") + FileSystem.list(job + "/shards/far")).filter {
            $0.contains(".tmp-")
        }
        #expect(leftovers.isEmpty, "\(leftovers)")
        // The shards 0.1.0 committed were verified in full and kept, not redone.
        for id in before.state.committed {
            #expect(
                after.records.filter { $0.event == .committed && $0.shard == id }.count == 1, "\(id) committed once")
        }
    }
}
