import Datasets
import Extract
import Foundation
import Imaging
import Model
import Shards
import TagoodSupport
import TagoodTestSupport
import Testing

/// An image read from a tar gives bit for bit the tokens, tags and attention of the same file read loose:
/// real JPEGs and PNGs (and one file that is not an image) packed by Python's `tarfile` as ImageNet's tar of
/// class tars and by GNU tar as a tar of class folders, planned, and extracted through the tar index.
@Suite struct ArchiveExactnessTests {
    static let model = RAMModel(weights: RAMWeights.random(config: .testShift, seed: 5))

    /// Two classes of real images under `src/`, and one member that is not an image.
    static func images(in root: String) throws -> [String] {
        var rng = SplitMix64(seed: 9)
        var paths: [String] = []
        for i in 0..<5 {
            let (w, h) = (90 + 13 * i, 70 + 7 * i)
            let pixels = (0..<(w * h * 3)).map { p in
                UInt8(truncatingIfNeeded: (p % (29 + i)) * 7 + Int(rng.next() % 50))
            }
            let path = "c\(i % 2)/image-\(i)" + (i == 3 ? ".png" : ".jpg")
            try FileManager.default.createDirectory(
                atPath: root + "/src/c\(i % 2)", withIntermediateDirectories: true)
            let image = RGBImage(width: w, height: h, pixels: pixels)
            if i == 3 {
                try image.writePNG(to: root + "/src/" + path)
            } else {
                try image.writeJPEG(to: root + "/src/" + path)
            }
            paths.append(path)
        }
        try TarMaker.write(Array("not an image at all".utf8), to: root + "/src/c1/broken.jpg")
        return paths + ["c1/broken.jpg"]
    }

    /// Extracts one shard of `paths` under `root` and returns its records, paths made relative to `strip`.
    static func extract(root: String, paths: [String], shardIndex: Int, out: String) throws -> [ShardRecord] {
        var settings = ExtractionSettings()
        settings.batchSize = 2
        let producer = try ModelProducer(model: model, modelHash: "test", idTags: [1, 4, 9], settings: settings)
        let metadata = ShardMetadata(
            jobID: "test", datasetHash: "test", shardIndex: shardIndex, dataset: "d", role: .idVal,
            modelName: producer.modelName, modelHash: "test", preprocessing: "tagood", tagThreshold: 0.5,
            attentionThreshold: 0.5, embedDim: producer.embedDim, imageTokens: producer.imageTokens)
        let work = ShardWork(
            metadata: metadata, attempt: 1, root: root, paths: paths, labels: paths.map { _ in 0 }, output: .file(out))
        _ = try producer.produce(work, progress: ProgressCounter())
        var records: [ShardRecord] = []
        try ShardReader(path: out).forEach { records.append($0.record) }
        return records
    }

    @Test(arguments: [TarMaker.Writer.pythonGNU, .gnuTarPax])
    func aTarredImageGivesTheLooseFilesTokensBitForBit(writer: TarMaker.Writer) throws {
        let dir = try TemporaryDirectory(prefix: "tagood-exact")
        let files = try Self.images(in: dir.path)
        let members = writer.isPython ? ["c0.tar=c0", "c1.tar=c1"] : files
        try TarMaker.pack(dir.path + "/data.tar", writer: writer, base: dir.path + "/src", members: members)
        let plan = try ShardPlan.make(
            datasets: [DatasetSpec(name: "d", role: .idVal, layout: .tar, root: dir.path + "/data.tar")],
            imagesPerShard: 4)
        try plan.write(to: dir.path + "/plan.json")
        let dataset = plan.datasets[0]
        #expect(dataset.images.count == files.count)
        var fromTar: [ShardRecord] = []
        for shard in dataset.shards {
            fromTar += try Self.extract(
                root: ArchiveIndex.file(besidePlan: dir.path + "/plan.json", dataset: "d"),
                paths: Array(dataset.images.paths[shard.images]), shardIndex: shard.index,
                out: dir.path + "/tar-\(shard.index).h5")
        }
        let loosePaths = dataset.images.paths.map {
            $0.replacingOccurrences(of: "data.tar/", with: "").replacingOccurrences(of: ".tar/", with: "/")
        }
        let loose = try Self.extract(
            root: dir.path + "/src", paths: loosePaths, shardIndex: 0, out: dir.path + "/loose.h5")
        #expect(fromTar.count == loose.count)
        #expect(fromTar.filter { $0.status.isOK }.count == files.count - 1)
        for (tarred, file) in zip(fromTar, loose) {
            var same = tarred
            (same.path, same.error) = (file.path, file.error)
            #expect(same == file, "\(tarred.path)")
            if !tarred.status.isOK {
                #expect(
                    tarred.error.contains(
                        "image \(tarred.path) in tar \(dir.path)/data.tar is not in a supported image format"),
                    "a per-image error names the member and its tar: \(tarred.error)")
            }
        }
        #expect(fromTar.contains { $0.tokenCount > 0 }, "some image kept tokens: the comparison is not empty")
    }
}
