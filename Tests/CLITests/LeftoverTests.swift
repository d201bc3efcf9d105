import Foundation
import Job
import Shards
import TagoodSupport
import TagoodTestSupport
import Testing

/// What killed or stopped runs leave behind (issue 25, item 12): real `tagood` processes, real signals.
@Suite struct LeftoverTests {
    /// A finished job with a small id-train (two classes, 48 images, width 16) and id-val dataset.
    static func job() throws -> (TemporaryDirectory, String) {
        let tmp = try TemporaryDirectory(prefix: "tagood-leftovers")
        let d = 16
        var state: UInt64 = 25
        func random() -> Float {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Float(state >> 40) / Float(1 << 24) - 0.5
        }
        func record(_ path: String, label: Int32) -> ShardRecord {
            let mean: [Float] = (0..<d).map { $0 == Int(label) ? 2 : 0 }
            let tokens = (0..<2).flatMap { _ in mean.map { $0 + random() } }
            return ShardRecord(
                path: path, label: label, tokens: tokens, tokenIndex: [1, 2], globalEmbed: mean.map { $0 + random() },
                tagIDs: [1], tagProbs: [0.9], attention: [Float](repeating: 0, count: 8))
        }
        let train = (0..<48).map { record("c\($0 % 2)/\($0).jpg", label: Int32($0 % 2)) }
        let val = (0..<8).map { record("c\($0 % 2)/v\($0).jpg", label: Int32($0 % 2)) }
        let path = tmp.path + "/job"
        try SyntheticJob.write(
            at: path,
            datasets: [
                .init(name: "train", role: .idTrain, classes: ["c0", "c1"], records: train),
                .init(name: "val", role: .idVal, classes: ["c0", "c1"], records: val)
            ], imagesPerShard: 16, embedDim: d, imageTokens: 8)
        return (tmp, path)
    }

    /// Writes the `checksum_xxh3` of a checkpoint's bytes as `tagood train` does: the XXH3 of the file
    /// with the 16 digits all `0` (nothing to do for a checkpoint without one).
    static func reseal(_ bytes: inout [UInt8]) {
        let key = Array("\"checksum_xxh3\":\"".utf8)
        guard let found = bytes.indices.first(where: { bytes[$0...].starts(with: key) }) else { return }
        let start = found + key.count
        bytes.replaceSubrange(start..<(start + 16), with: [UInt8](repeating: UInt8(ascii: "0"), count: 16))
        let digits = String(XXH3.hash(bytes), radix: 16)
        let hex = String(repeating: "0", count: 16 - digits.count) + digits
        bytes.replaceSubrange(start..<(start + 16), with: Array(hex.utf8))
    }

    static func temporaries(_ folder: String) -> [String] {
        FileSystem.list(folder).filter(AtomicFile.isTemporary)
    }

    /// Waits (at most `seconds`) until `condition` holds.
    static func waitFor(seconds: Double = 300, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while !condition() && Date() < deadline { usleep(20_000) }
        return condition()
    }

    /// `train` killed with SIGKILL while it writes epoch 2's checkpoint leaves its temporary file; the
    /// resumed run deletes it and finishes.
    @Test func aResumedTrainingRunRemovesTheCheckpointTemporaryOfAKilledOne() throws {
        let (tmp, job) = try Self.job()
        defer { _ = tmp }
        let folder = job + "/train"
        let args = ["train", job, "--epochs", "3", "--batch", "16", "--threads", "1", "--quiet"]
        let run = try BackgroundTagood(
            args, environment: ["TAGOOD_FAILPOINTS": "stall-before-checkpoint-rename-epoch=2"])
        let checkpointTemporary = { Self.temporaries(folder).filter { $0.hasPrefix("checkpoint.safetensors.tmp-") } }
        // Epoch 1's checkpoint is in place and epoch 2's temporary written (epoch 1's own temporary exists
        // only before its checkpoint does).
        let stalled = { FileSystem.exists(folder + "/checkpoint.safetensors") && !checkpointTemporary().isEmpty }
        #expect(Self.waitFor(stalled), "no checkpoint temporary of epoch 2 appeared")
        kill(run.pid, SIGKILL)
        _ = run.wait()
        #expect(checkpointTemporary().count == 1, "\(Self.temporaries(folder))")

        let resumed = try TagoodProcess.run(["train", job, "--resume", "--threads", "1", "--quiet"])
        #expect(resumed.status == 0, "\(resumed.stdout)\n\(resumed.stderr)")
        #expect(Self.temporaries(folder).isEmpty, "\(Self.temporaries(folder))")
        #expect(FileManager.default.fileExists(atPath: folder + "/checkpoint.safetensors"))
    }

    /// A checkpoint whose weights make the learned score non-finite: `reduce` fails with an error that
    /// names the checkpoint and says what to do.
    @Test func aCheckpointGivingNonFiniteScoresIsAClearReduceError() throws {
        let (tmp, job) = try Self.job()
        defer { _ = tmp }
        let trained = try TagoodProcess.run([
            "train", job, "--epochs", "1", "--batch", "16", "--threads", "1", "--quiet"
        ])
        #expect(trained.status == 0, "\(trained.stdout)\n\(trained.stderr)")
        let checkpoint = job + "/train/checkpoint.safetensors"
        // Every center becomes +inf: the learned cosine is inf/inf.
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: checkpoint)))
        let headerLength = bytes[0..<8].enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        let header =
            try JSONSerialization.jsonObject(with: Data(bytes[8..<(8 + headerLength)])) as! [String: Any]
        let centers = try #require(header["centers"] as? [String: Any])
        #expect(centers["dtype"] as? String == "F32")
        let offsets = try #require(centers["data_offsets"] as? [Int])
        let infinity: [UInt8] = [0x00, 0x00, 0x80, 0x7F]
        for at in stride(from: 8 + headerLength + offsets[0], to: 8 + headerLength + offsets[1], by: 4) {
            bytes.replaceSubrange(at..<(at + 4), with: infinity)
        }
        // Sealed again: a checkpoint as a diverged run would write it, not a damaged one.
        Self.reseal(&bytes)
        try Data(bytes).write(to: URL(fileURLWithPath: checkpoint))

        let reduce = try TagoodProcess.run(["reduce", job, "--threads", "1", "--knn-k", "3", "--quiet"])
        #expect(reduce.status != 0)
        #expect(reduce.stderr.contains("non-finite"), "\(reduce.stderr)")
        #expect(reduce.stderr.contains(checkpoint), "\(reduce.stderr)")
        #expect(reduce.stderr.contains("--restart"), "\(reduce.stderr)")
        #expect(!reduce.stderr.contains("cannot encode"), "\(reduce.stderr)")
    }
}

/// `tagood extract` stopped by a signal removes its temporary shard; one killed outright leaves it, and
/// the next run removes it.
@Suite struct ExtractLeftoverTests {
    /// A random-weight `test_tiny` model, its tag list and class map, and a folder of 120 images that
    /// are not images (each a failed row, which is enough to keep the writer busy).
    static func setUp(_ tmp: TemporaryDirectory) throws -> [String] {
        let weights = tmp.path + "/tiny.safetensors"
        let model = try TagoodProcess.run(["model", "init", "--config", "test_tiny", "--seed", "1", "-o", weights])
        #expect(model.status == 0, "\(model.stdout)\n\(model.stderr)")
        try (0..<10).map { "tag\($0)" }.joined(separator: "\n").appending("\n")
            .write(toFile: tmp.path + "/tags.txt", atomically: true, encoding: .utf8)
        try "0 c0 c0,tag0\n1 c1 c1,tag1\n".write(
            toFile: tmp.path + "/class_tags.txt", atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(atPath: tmp.path + "/images", withIntermediateDirectories: true)
        for i in 0..<120 {
            try "not a JPEG \(i)".write(toFile: tmp.path + "/images/\(i).jpg", atomically: true, encoding: .utf8)
        }
        return [
            "extract", "--config", "test_tiny", "--weights", weights, "--tags", tmp.path + "/tags.txt",
            "--class-tags", tmp.path + "/class_tags.txt", "--role", "ood", "--images", tmp.path + "/images",
            "--out", tmp.path + "/out/photos.h5", "--threads", "1", "--decode-threads", "1"
        ]
    }

    static func temporaries(_ tmp: TemporaryDirectory) -> [String] {
        FileSystem.list(tmp.path + "/out").filter(AtomicFile.isTemporary)
    }

    @Test func sigtermRemovesTheTemporaryShardAndTheNextRunRemovesAKilledOnes() throws {
        let tmp = try TemporaryDirectory(prefix: "tagood-extract-leftovers")
        let args = try Self.setUp(tmp)
        try FileManager.default.createDirectory(atPath: tmp.path + "/out", withIntermediateDirectories: true)
        let slow = ["TAGOOD_FAILPOINTS": "delay-per-image-ms=500"]

        // SIGTERM (what `timeout` sends): the temporary goes with the process.
        let stopped = try BackgroundTagood(args, environment: slow)
        #expect(LeftoverTests.waitFor { !Self.temporaries(tmp).isEmpty }, "no temporary shard appeared")
        kill(stopped.pid, SIGTERM)
        let result = stopped.wait()
        #expect(result.status == 128 + SIGTERM, "\(result.stdout)")
        #expect(Self.temporaries(tmp).isEmpty, "\(Self.temporaries(tmp))")

        // SIGKILL leaves it; the next run removes it and writes the shard.
        let killed = try BackgroundTagood(args, environment: slow)
        #expect(LeftoverTests.waitFor { !Self.temporaries(tmp).isEmpty }, "no temporary shard appeared")
        kill(killed.pid, SIGKILL)
        _ = killed.wait()
        #expect(Self.temporaries(tmp).count == 1)
        let next = try TagoodProcess.run(args)
        #expect(next.status == 0, "\(next.stdout)\n\(next.stderr)")
        #expect(Self.temporaries(tmp).isEmpty, "\(Self.temporaries(tmp))")
        #expect(FileManager.default.fileExists(atPath: tmp.path + "/out/photos.h5"))
    }
}

/// `train/checkpoint.safetensors` carries a checksum (issue 25, item 2): a flipped byte is refused by
/// `train --resume` and by `reduce`, naming the file; a checkpoint of the format before it still reads.
@Suite struct CheckpointChecksumTests {
    @Test func aDamagedCheckpointIsRefusedAndAnOldOneStillReads() throws {
        let (tmp, job) = try LeftoverTests.job()
        defer { _ = tmp }
        let trained = try TagoodProcess.run([
            "train", job, "--epochs", "2", "--batch", "16", "--threads", "1", "--quiet"
        ])
        #expect(trained.status == 0, "\(trained.stdout)\n\(trained.stderr)")
        let checkpoint = job + "/train/checkpoint.safetensors"
        let original = [UInt8](try Data(contentsOf: URL(fileURLWithPath: checkpoint)))

        // One bit of a tensor, far past the header.
        var damaged = original
        damaged[original.count - 1000] ^= 0x01
        try Data(damaged).write(to: URL(fileURLWithPath: checkpoint))
        let resumed = try TagoodProcess.run(["train", job, "--resume", "--threads", "1", "--quiet"])
        #expect(resumed.status != 0)
        #expect(resumed.stderr.contains("\(checkpoint) is damaged"), "\(resumed.stderr)")
        #expect(resumed.stderr.contains("--restart"), "\(resumed.stderr)")
        let reduce = try TagoodProcess.run(["reduce", job, "--threads", "1", "--knn-k", "3", "--quiet"])
        #expect(reduce.status != 0)
        #expect(reduce.stderr.contains("\(checkpoint) is damaged"), "\(reduce.stderr)")

        // The same checkpoint as tagood 0.3 wrote it (format 1, no checksum) reads.
        let headerLength = original[0..<8].enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        var header =
            try JSONSerialization.jsonObject(with: Data(original[8..<(8 + headerLength)])) as! [String: Any]
        var metadata = header["__metadata__"] as! [String: String]
        #expect(metadata["format"] == "tagood-projector/2")
        metadata["checksum_xxh3"] = nil
        metadata["format"] = "tagood-projector/1"
        header["__metadata__"] = metadata
        var newHeader = [UInt8](try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys]))
        while newHeader.count % 8 != 0 { newHeader.append(0x20) }
        var old: [UInt8] = []
        withUnsafeBytes(of: UInt64(newHeader.count).littleEndian) { old += $0 }
        old += newHeader + original[(8 + headerLength)...]
        try Data(old).write(to: URL(fileURLWithPath: checkpoint))
        let oldReduce = try TagoodProcess.run(["reduce", job, "--threads", "1", "--knn-k", "3", "--quiet"])
        #expect(oldReduce.status == 0, "\(oldReduce.stdout)\n\(oldReduce.stderr)")
        let oldResume = try TagoodProcess.run(["train", job, "--resume", "--threads", "1", "--quiet"])
        #expect(oldResume.status == 0, "\(oldResume.stdout)\n\(oldResume.stderr)")
    }
}
