import Extract
import Foundation
import Job
import Shards
import TagoodSupport
import TagoodTestSupport
import Testing
import Transport

@testable import Cluster
@testable import Coordination

/// Attacks on a running `tagood launch` from rogue ZeroMQ peers on 127.0.0.1 (``RoguePeer``): without the
/// job's keys nothing happens at all; with them (an insider) no file outside its own staging file is
/// touched, no shard that is not the job's is committed, and the honest workers keep working.
@Suite(.serialized) struct TrustBoundaryTests {
    @Test func aPeerWithoutTheJobsKeysGetsNoReplyAndTheJobCompletesExactlyOnce() throws {
        let job = try ClusterFixture(images: 16)
        let run = try job.launchInBackground(failpoints: "delay-per-image-ms=60")
        defer { _ = run.wait() }
        let (endpoint, credential, _) = try RoguePeer.waitForCoordinator(of: job)
        let plain = try RoguePeer(endpoint: endpoint, workerID: "plain", curve: nil)
        let stranger = try RoguePeer(
            endpoint: endpoint, workerID: "stranger",
            curve: .client(serverKey: credential.coordinatorKey, keys: try CurveKeyPair.generate()))
        let impostor = try RoguePeer(
            endpoint: endpoint, workerID: "impostor",
            curve: .client(serverKey: try CurveKeyPair.generate().publicKey, keys: credential.keys))
        for peer in [plain, stranger, impostor] {
            #expect(try peer.hello(within: 1500) == nil, "\(peer.workerID) got a reply")
            try peer.sendRaw(Array("garbage that is not even JSON".utf8))
            try peer.send(.ready)
            #expect(try peer.receive(within: 300) == nil, "\(peer.workerID) got a reply")
        }
        let result = run.wait()
        #expect(result.status == 0, "\(result.stdout)")
        #expect(result.stdout.contains("connection attempts by peers without the job's worker key"), "\(result.stdout)")
        for name in ["plain", "stranger", "impostor"] {
            #expect(!result.stdout.contains(name), "\(name) left no trace in the run")
        }
        #expect(try job.journal().allSatisfy { !($0.worker ?? "").contains("rogue") })
        try job.expectExactlyOnce()
    }

    @Test func theKeysAreTheOwnersOnlyAndNeverLogged() throws {
        let job = try ClusterFixture()
        let result = try job.launch()
        #expect(result.status == 0, "\(result.stdout)")
        var info = stat()
        #expect(stat(job.jobDirectory.keysFolder, &info) == 0 && info.st_mode & 0o777 == 0o700)
        for file in [job.jobDirectory.coordinatorKeyFile, job.jobDirectory.workerCredentialFile] {
            #expect(stat(file, &info) == 0 && info.st_mode & 0o777 == 0o600, "\(file)")
        }
        let keys = try JobKeys.load(job.jobDirectory)
        var logs = result.stdout
        for name in FileSystem.list(job.jobDirectory.logsFolder) {
            logs += (try? String(contentsOfFile: job.jobDirectory.logsFolder + "/" + name, encoding: .utf8)) ?? ""
        }
        #expect(
            !logs.contains(keys.coordinator.secretKey) && !logs.contains(keys.worker.keys.secretKey),
            "no secret in any log")

        // A key file others can read is refused, naming the file and what to do.
        chmod(job.jobDirectory.workerCredentialFile, 0o644)
        #expect {
            _ = try JobKeys.load(job.jobDirectory)
        } throws: { error in
            "\(error)".contains("chmod 600 \(job.jobDirectory.workerCredentialFile)")
                && (error as? CredentialError)?.code == "credential.exposed"
        }
        chmod(job.jobDirectory.workerCredentialFile, 0o600)
        // Rotation: delete keys/ and resume; the new keys differ.
        try FileManager.default.removeItem(atPath: job.jobDirectory.keysFolder)
        try FileManager.default.removeItem(atPath: job.jobDirectory.shardFile(ShardID(dataset: "far", index: 0)))
        let resumed = try job.resume()
        #expect(resumed.status == 0, "\(resumed.stdout)")
        #expect(try JobKeys.load(job.jobDirectory).coordinator != keys.coordinator)
        try job.expectExactlyOnce()
    }

    @Test func anInsiderCannotDeleteOrNameAFileNorHoardShards() throws {
        let job = try ClusterFixture(images: 16)
        let outside = try TemporaryDirectory(prefix: "tagood-victims")
        let victims = [
            job.root + "/victim.txt", outside.path + "/absolute-victim.txt", job.root + "/work.h5.tmp-a1-x",
            job.root + "/data/near/c0/n000.png.tmp-1"
        ]
        for victim in victims { try Data("keep me".utf8).write(to: URL(fileURLWithPath: victim)) }
        let run = try job.launchInBackground(failpoints: "delay-per-image-ms=60")
        defer { _ = run.wait() }
        let (endpoint, credential, _) = try RoguePeer.waitForCoordinator(of: job)
        let rogue = try RoguePeer(endpoint: endpoint, workerID: "../../../victim", curve: credential.curveRole)
        guard case .welcome? = try rogue.hello() else { Issue.record("the insider was not welcomed"); return }
        let assign = try #require(try rogue.nextAssignment())
        // Hoarding: asking again while holding a lease gets nothing more.
        for _ in 0..<30 {
            try rogue.send(.ready)
            if case .assign(let second)? = try rogue.receive() { Issue.record("a second lease: \(second.shard)") }
        }
        // `done` carries no path; paths smuggled into its JSON are ignored, for its own shard and others.
        for (shard, attempt) in [
            (assign.shard, assign.attempt), (ShardID(dataset: "far", index: 1), 1),
            (ShardID(dataset: "near", index: 0), 1)
        ] {
            for victim in victims + ["../../victim.txt", "journal.jsonl", "plan.json"] {
                let json =
                    #"{"v": 2, "type": "done", "body": {"shard": {"dataset": "\#(shard.dataset)", "index": \#(shard.index)}, "#
                    + #""attempt": \#(attempt), "checksum": "0000000000000000", "images": 4, "failedImages": 0, "tokens": 0, "#
                    + #""seconds": 1, "temporaryPath": "\#(victim)", "stagingFile": "\#(victim)", "path": "\#(victim)"}}"#
                try rogue.sendRaw(Array(json.utf8))
            }
            for attempt in 1...3 { // and `failed` for shards it does not hold is not charged
                try rogue.send(
                    .failed(ProtocolMessage.Failed(shard: shard, attempt: attempt, code: "forged", message: "forged")))
            }
        }
        let result = run.wait()
        #expect(result.status == 0, "\(result.stdout)")
        for victim in victims { #expect(FileSystem.exists(victim), "\(victim) survived") }
        let records = try job.journal()
        #expect(
            records.filter { $0.event == .assigned && $0.worker?.contains("victim") == true }.count == 1,
            "one lease only")
        #expect(!records.contains { $0.event == .gaveUp || $0.code == "forged" }, "nothing forged was charged")
        try job.expectExactlyOnce()
    }

    @Test(arguments: ["model_hash", "job_id", "paths"])
    func aForgedShardIsNeverCommitted(_ forged: String) throws {
        let job = try ClusterFixture(images: 16, maxAttempts: 10)
        let run = try job.launchInBackground(failpoints: "delay-per-image-ms=60")
        defer { _ = run.wait() }
        let (endpoint, credential, _) = try RoguePeer.waitForCoordinator(of: job)
        let rogue = try RoguePeer(endpoint: endpoint, workerID: "rogue", curve: credential.curveRole)
        guard case .welcome(let welcome)? = try rogue.hello() else {
            Issue.record("the insider was not welcomed"); return
        }
        let assign = try #require(try rogue.nextAssignment())
        guard case .extract(let task) = assign.task else { Issue.record("not an extraction"); return }
        // A file with every checksum right, written where the attempt's staging file goes.
        let metadata = ShardMetadata(
            jobID: forged == "job_id" ? "forged-by-rogue" : welcome.jobID, datasetHash: task.datasetHash,
            shardIndex: assign.shard.index, dataset: assign.shard.dataset, role: task.role, modelName: "decode-only",
            modelHash: forged == "model_hash" ? "deadbeefdeadbeef" : DecodeOnlyProducer.modelHash,
            preprocessing: "none",
            tagThreshold: 0.5, attentionThreshold: 0.5, embedDim: 512, imageTokens: 145)
        let writer = try ShardWriter(
            stagingPath: job.jobDirectory.stagingFile(assign.shard, attempt: assign.attempt, worker: "rogue"),
            metadata: metadata)
        for (i, (path, label)) in zip(task.paths, task.labels).enumerated() {
            try writer.append(
                ShardRecord.failed(
                    path: forged == "paths" && i == 0 ? "../../etc/passwd" : path, label: label,
                    status: .unreadable, error: "forged"))
        }
        let summary = try writer.commit()
        let forgedCopy = job.root + "/forged.h5" // the coordinator deletes the staging file it refuses
        try FileManager.default.copyItem(atPath: summary.path, toPath: forgedCopy)
        try rogue.send(
            .done(
                ProtocolMessage.Done(
                    shard: assign.shard, attempt: assign.attempt, resultChecksum: summary.fileChecksum,
                    images: summary.images,
                    failedImages: summary.failedImages, tokens: 0, seconds: 1)))
        let result = run.wait()
        #expect(result.status == 0, "\(result.stdout)")
        let records = try job.journal()
        let failure = try #require(
            records.first { $0.event == .failed && $0.worker == "rogue" }, "the forged result was refused")
        #expect(
            failure.code == "shard.foreign" && failure.message?.contains(forged) == true, "\(failure.message ?? "")")
        #expect(!records.contains { $0.event == .committed && $0.worker == "rogue" })
        try job.expectExactlyOnce()
        // resume checks the same. A forged file in the place of a shard the journal does not vouch for
        // (here: recorded invalid) would be adopted if it only had to verify; it is refused and redone.
        let target = job.jobDirectory.shardFile(assign.shard)
        try FileManager.default.removeItem(atPath: target)
        try FileManager.default.moveItem(atPath: forgedCopy, toPath: target)
        let journal = try Journal(path: job.jobDirectory.journalFile)
        try journal.append(
            JournalRecord(.invalid, time: 0, shard: assign.shard, code: "test", message: "made uncommitted by the test")
        )
        let resumed = try job.resume()
        #expect(resumed.status == 0, "\(resumed.stdout)")
        #expect(!resumed.stdout.contains("adopted"), "\(resumed.stdout)")
        try job.expectExactlyOnce()
    }

    @Test func anOversizedFrameIsDroppedAndTheCoordinatorsMemoryStaysBounded() throws {
        let job = try ClusterFixture(images: 16)
        let run = try job.launchInBackground(failpoints: "delay-per-image-ms=60")
        defer { _ = run.wait() }
        let (endpoint, credential, pid) = try RoguePeer.waitForCoordinator(of: job)
        let rogue = try RoguePeer(endpoint: endpoint, workerID: "big", curve: credential.curveRole)
        guard case .welcome? = try rogue.hello() else { Issue.record("the insider was not welcomed"); return }
        let before = try #require(RoguePeer.residentBytes(of: pid))
        try rogue.sendRaw([UInt8](repeating: 0x7B, count: 256 << 20))
        var peak = before
        for _ in 0..<20 {
            usleep(100_000)
            peak = max(peak, RoguePeer.residentBytes(of: pid) ?? 0)
        }
        #expect(peak < before + (64 << 20), "the coordinator grew from \(before >> 20) MB to \(peak >> 20) MB")
        // Dropped before it was read: never parsed, so never answered as a malformed message.
        if case .refused(let r)? = try rogue.receive(within: 500) {
            Issue.record("the frame was read and refused: \(r.reason)")
        }
        let result = run.wait()
        #expect(result.status == 0, "\(result.stdout)")
        try job.expectExactlyOnce()
    }
}
