import Datasets
import Foundation
import Job
import Shards
import TagoodSupport

/// The `id-train` shards of a finished job, as training reads them: which shards, how many of their images
/// train (status ok, at least one token, a label), how many are skipped and why, and the class count.
///
/// Counting needs one pass over the shards; the result is kept in `train/data-index.json`, keyed by the
/// shards' file checksums, so a resumed or repeated run does not read them again.
public struct TrainingShards: Sendable, Codable, Equatable {
    /// One shard's entry.
    public struct Shard: Sendable, Codable, Equatable {
        public var path: String
        public var checksum: String
        /// Images that train, failed images, and readable images without tokens.
        public var usable: Int, failed: Int, noTokens: Int
    }

    public var shards: [Shard]
    public var classes: Int
    public var embedDim: Int
    /// The most tokens any usable image has.
    public var longest: Int

    public var usable: Int { shards.reduce(0) { $0 + $1.usable } }
    public var failed: Int { shards.reduce(0) { $0 + $1.failed } }
    public var noTokens: Int { shards.reduce(0) { $0 + $1.noTokens } }

    /// A fingerprint of the training data: each shard's place in the job directory
    /// (`shards/<dataset>/shard-NNNNN.h5`) and its checksum, in plan order. Not the job directory's own
    /// path, so a job directory that was moved or copied, or named another way (`runs/job`, `./runs/job/`),
    /// keeps its checkpoint.
    public var identity: String {
        var hash = XXH64()
        for s in shards {
            hash.update(s.path.split(separator: "/").suffix(3).joined(separator: "/") + ":" + s.checksum + "\n")
        }
        return hash.hexDigest()
    }

    /// Whether a checkpoint's data fingerprint is this data's: ``identity``, or the fingerprint tagood 0.3
    /// wrote over the shards' full paths as the job directory was named then (such a checkpoint resumes in
    /// place, named the same way).
    public func isIdentity(_ fingerprint: String) -> Bool {
        if fingerprint == identity { return true }
        var legacy = XXH64()
        for s in shards { legacy.update(s.path + ":" + s.checksum + "\n") }
        return fingerprint == legacy.hexDigest()
    }

    /// The `id-train` shards of `snapshot`, counted (or read from `indexPath` when it matches). `progress`
    /// is called after each shard counted.
    public static func open(
        _ snapshot: JobSnapshot, indexPath: String, progress: (Int, Int) -> Void = { _, _ in }
    ) throws(LearningError) -> TrainingShards {
        let committed: [CommittedShard]
        do { committed = try snapshot.committedShards() } catch {
            throw LearningError(
                .job, error.message, subject: error.subject, remedy: error.remedy.map { $0 + ", then train" })
        }
        let train = committed.filter { $0.role == .idTrain }
        let datasets = snapshot.plan.datasets.filter { $0.spec.role == .idTrain }
        guard !train.isEmpty else {
            throw LearningError(
                .data,
                "job \(snapshot.directory.path) has no id-train dataset: the projector trains on the id-train shards",
                subject: snapshot.directory.path, remedy: "add the ImageNet training set (role id-train) to the job")
        }
        var classes = datasets.map(\.images.classes.count).max() ?? 0
        if classes == 0 { classes = Int(datasets.flatMap(\.images.labels).max() ?? -1) + 1 }

        if let data = try? FileBytes.read(indexPath),
            let cached = try? JSONDecoder().decode(TrainingShards.self, from: Data(data) as Data),
            cached.shards.map(\.path) == train.map(\.path), cached.shards.map(\.checksum) == train.map(\.checksum),
            cached.classes == classes
        {
            return cached
        }
        var shards: [Shard] = []
        var embedDim = 0, longest = 0
        for (n, task) in train.enumerated() {
            var entry = Shard(path: task.path, checksum: task.checksum, usable: 0, failed: 0, noTokens: 0)
            try TrainingShards.read(task.path, checksum: task.checksum) { (image: ShardImage) throws(LearningError) in
                embedDim = image.embedDim
                guard image.status.isOK else { entry.failed += 1; return }
                guard image.tokenCount > 0 else { entry.noTokens += 1; return }
                guard image.label >= 0, Int(image.label) < classes else {
                    throw LearningError(
                        .shard,
                        "shard \(task.path): image #\(image.index) (\(image.path)) has label \(image.label), "
                            + "outside the job's \(classes) classes", subject: task.path,
                        remedy: "check the id-train dataset's layout")
                }
                entry.usable += 1
                longest = max(longest, image.tokenCount)
            }
            shards.append(entry)
            progress(n + 1, train.count)
        }
        let result = TrainingShards(shards: shards, classes: classes, embedDim: embedDim, longest: longest)
        guard result.usable > 0 else {
            throw LearningError(
                .data,
                "the id-train shards of \(snapshot.directory.path) have no image with tokens "
                    + "(\(result.failed) failed, \(result.noTokens) without tokens)", subject: snapshot.directory.path)
        }
        do {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try AtomicFile.write(Array(try encoder.encode(result)), to: indexPath)
        } catch {
            throw LearningError(.write, "cannot write \(indexPath): \(error)", subject: indexPath)
        }
        return result
    }

    /// Calls `body` with every image of the shard at `path`, after checking its bytes against `checksum`.
    static func read(
        _ path: String, checksum: String, _ body: (ShardImage) throws(LearningError) -> Void
    ) throws(LearningError) {
        do {
            let reader = try ShardReader(path: path, expectedFileChecksum: checksum)
            defer { reader.close() }
            let cursor = try reader.images(blockImages: 128, maxBlockTokens: 4096)
            while let image = try cursor.next() { try body(image) }
        } catch let error as LearningError {
            throw error
        } catch {
            throw LearningError(
                .shard, "cannot read shard \(path): \(error)", subject: path,
                remedy: "run `tagood resume` on the job to re-verify and re-extract damaged shards")
        }
    }
}
