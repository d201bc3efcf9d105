import Datasets
import Foundation
import TagoodSupport
import TagoodTestSupport
import Testing

/// `layout: webdataset` on real shards: samples keyed by member name, the image and `KEY.cls`, a glob or a
/// folder as the root; and the samples it refuses, naming the shard and the key.
@Suite struct WebDatasetTests {
    @Test(arguments: [TarMaker.Writer.pythonGNU, .pythonPax])
    func samplesAreKeyedAndLabelledByTheirCls(writer: TarMaker.Writer) throws {
        let fx = try ArchiveFixture()
        for f in ["000.jpg", "001.png", "002.jpg", "003.JPEG", "000.json"] { try fx.file(f) }
        try fx.tar(
            "wds/shard-000.tar", writer, ["000.jpg", "000.cls@=3\n", "000.json", "001.png", "002.cls@= 1", "002.jpg"])
        try fx.tar("wds/shard-001.tar", writer, ["003.JPEG"])
        try fx.tar("wds/other.tar", writer, ["001.png"])
        let (plan, file) = try fx.plan([
            DatasetSpec(name: "w", role: .idTrain, layout: .webdataset, root: fx.root + "/wds/shard-*.tar")
        ])
        let d = plan.datasets[0]
        #expect(
            d.images.paths == [
                "shard-000.tar/000.jpg", "shard-000.tar/001.png", "shard-000.tar/002.jpg", "shard-001.tar/003.JPEG"
            ])
        #expect(d.images.labels == [3, -1, 1, -1])
        #expect(d.images.skippedFiles == 1, "000.json is counted")
        #expect(
            try fx.readAll(d, planFile: file) == ["000.jpg", "001.png", "002.jpg", "003.JPEG"].map { try fx.bytes($0) })
        let folder = try fx.plan([DatasetSpec(name: "w", role: .ood, layout: .webdataset, root: fx.root + "/wds")]).0
        #expect(folder.datasets[0].images.count == 5 && folder.datasets[0].images.labels.allSatisfy { $0 == -1 })
    }

    static func error(_ members: [String]) throws -> (String, String) {
        let fx = try ArchiveFixture()
        for f in ["a.jpg", "a.png", "b.jpg"] { try fx.file(f) }
        let tar = try fx.tar("shard.tar", .pythonGNU, members)
        return (
            ArchiveFixture.error {
                _ = try fx.plan([DatasetSpec(name: "w", role: .idVal, layout: .webdataset, root: tar)])
            }, tar
        )
    }

    @Test func aSampleWithoutAnImageIsRefused() throws {
        let (error, tar) = try Self.error(["a.jpg", "c.cls@=1", "c.json@={}", "b.jpg"])
        #expect(
            error.contains("dataset.bad-sample") && error.contains(tar) && error.contains("sample 'c' has no image"),
            "\(error)")
        #expect(error.contains("c.cls, c.json"), "\(error)")
    }

    @Test func aKeyThatComesBackIsRefused() throws {
        let (error, tar) = try Self.error(["a.jpg", "b.jpg", "a.cls@=1"])
        #expect(
            error.contains("dataset.duplicate-image") && error.contains(tar)
                && error.contains("sample 'a' appears again"), "\(error)")
    }

    @Test func aSampleWithTwoImagesOrABadLabelIsRefused() throws {
        let (two, _) = try Self.error(["a.jpg", "a.png"])
        #expect(two.contains("dataset.bad-sample") && two.contains("sample 'a' has 2 images"), "\(two)")
        let (label, _) = try Self.error(["a.cls@=cat", "a.jpg"])
        #expect(label.contains("dataset.bad-sample") && label.contains("not an integer ('cat')"), "\(label)")
    }
}
