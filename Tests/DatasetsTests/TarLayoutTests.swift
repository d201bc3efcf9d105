import Datasets
import Foundation
import TagoodSupport
import TagoodTestSupport
import Testing

/// `layout: tar` on real tars written by Python's `tarfile` and by GNU tar, in GNU, pax and ustar headers:
/// ImageNet's tar of class tars, long and non-ASCII names, a flat tar labelled by a list, and each image's
/// bytes read back from the index exactly as the loose file holds them.
@Suite struct TarLayoutTests {
    static let classFiles = ["n01/a.JPEG", "n01/b.JPEG", "n01/sub/c.JPEG", "n02/x.JPEG"]

    @Test(arguments: TarMaker.Writer.allCases)
    func aTarOfClassTarsIsAnImageFolder(writer: TarMaker.Writer) throws {
        let fx = try ArchiveFixture()
        for f in Self.classFiles { try fx.file(f, size: 600 + f.count * 97) }
        try fx.file("n02/README.txt")
        try fx.tar("train.tar", writer, ["n02.tar=n02", "n01.tar=n01"])
        let (plan, file) = try fx.plan([
            DatasetSpec(name: "train", role: .idTrain, layout: .tar, root: fx.root + "/train.tar"),
            DatasetSpec(name: "loose", role: .idTrain, layout: .imageFolder, root: fx.root + "/src")
        ])
        let train = plan.datasets[0], loose = plan.datasets[1]
        #expect(train.images.classes == ["n01", "n02"])
        #expect(
            train.images.paths == [
                "train.tar/n01.tar/a.JPEG", "train.tar/n01.tar/b.JPEG", "train.tar/n01.tar/sub/c.JPEG",
                "train.tar/n02.tar/x.JPEG"
            ])
        #expect(train.images.labels == loose.images.labels)
        #expect(train.images.skippedFiles == 1, "README.txt is counted, not planned")
        #expect(
            train.images.paths.map {
                $0.replacingOccurrences(of: "train.tar/", with: "").replacingOccurrences(
                    of: ".tar/", with: "/")
            } == loose.images.paths,
            "the same order as the loose ImageFolder")
        #expect(try fx.readAll(train, planFile: file) == loose.images.paths.map { try fx.bytes($0) })
    }

    @Test(arguments: TarMaker.Writer.allCases)
    func longAndNonASCIINamesReadInEveryHeaderFormat(writer: TarMaker.Writer) throws {
        let fx = try ArchiveFixture()
        var files = [
            "cls/" + String(repeating: "d", count: 120) + "/long-" + String(repeating: "n", count: 80) + ".jpg",
            "cls/café-ü.png", "other/plain.jpg"
        ]
        if writer.format != "ustar" { // beyond ustar's 155 + 100 bytes: GNU long names and pax paths only
            files.append(
                "cls/" + String(repeating: "x", count: 200) + "/" + String(repeating: "y", count: 150) + ".jpeg")
        }
        for f in files { try fx.file(f, size: 1500) }
        try fx.tar("names.tar", writer, files)
        let (plan, file) = try fx.plan([
            DatasetSpec(name: "n", role: .idVal, layout: .tar, root: fx.root + "/names.tar")
        ])
        let d = plan.datasets[0]
        #expect(Set(d.images.paths) == Set(files.map { "names.tar/" + $0 }))
        #expect(d.images.classes == ["cls", "other"])
        let loose = try ShardPlan.make(
            datasets: [DatasetSpec(name: "l", role: .idVal, layout: .imageFolder, root: fx.root + "/src")],
            imagesPerShard: 2)
        #expect(d.images.paths == loose.datasets[0].images.paths.map { "names.tar/" + $0 }, "sorted(os.walk) order")
        let expected = try d.images.paths.map { try fx.bytes(String($0.dropFirst("names.tar/".count))) }
        #expect(try fx.readAll(d, planFile: file) == expected)
    }

    @Test func aFlatTarTakesItsLabelsFromAList() throws {
        let fx = try ArchiveFixture()
        for f in ["img1.JPEG", "img2.JPEG", "img3.JPEG"] { try fx.file(f) }
        let tar = try fx.tar("val.tar", .pythonGNU, ["img1.JPEG", "img2.JPEG", "img3.JPEG"])
        let list = fx.root + "/labels.txt"
        try "img3.JPEG 2\nimg1.JPEG 0\n".write(toFile: list, atomically: true, encoding: .utf8)
        let (plan, file) = try fx.plan([DatasetSpec(name: "val", role: .idVal, layout: .tar, root: tar, listFile: list)]
        )
        let d = plan.datasets[0]
        #expect(d.images.paths == ["val.tar/img3.JPEG", "val.tar/img1.JPEG"])
        #expect(d.images.labels == [2, 0])
        #expect(d.images.skippedFiles == 1, "the unlisted member is counted")
        #expect(try fx.readAll(d, planFile: file) == [try fx.bytes("img3.JPEG"), try fx.bytes("img1.JPEG")])

        try "img4.JPEG 1\n".write(toFile: list, atomically: true, encoding: .utf8)
        let missing = ArchiveFixture.error {
            _ = try fx.plan([DatasetSpec(name: "v", role: .idVal, layout: .tar, root: tar, listFile: list)])
        }
        #expect(
            missing.contains("dataset.missing-listed-image") && missing.contains("img4.JPEG")
                && missing.contains("val.tar"))
        let unlabelled = ArchiveFixture.error {
            _ = try fx.plan([DatasetSpec(name: "v", role: .idVal, layout: .tar, root: tar)])
        }
        #expect(unlabelled.contains("dataset.empty") && unlabelled.contains("list:"), "\(unlabelled)")
        let ood = try fx.plan([DatasetSpec(name: "o", role: .ood, layout: .tar, root: tar)]).0.datasets[0]
        #expect(ood.images.count == 3 && ood.images.labels.allSatisfy { $0 == -1 }, "an OOD set takes every image")
    }

    @Test func hiddenMembersAndLinksAreCountedNotPlanned() throws {
        let fx = try ArchiveFixture()
        try fx.file("c/a.jpg")
        try fx.file("c/._a.jpg")
        try FileManager.default.createSymbolicLink(atPath: fx.root + "/src/c/link.jpg", withDestinationPath: "a.jpg")
        let tar = try fx.tar("t.tar", .gnuTarGNU, ["c/a.jpg", "c/._a.jpg", "c/link.jpg"])
        let d = try fx.plan([DatasetSpec(name: "t", role: .idVal, layout: .tar, root: tar)]).0.datasets[0]
        #expect(d.images.paths == ["t.tar/c/a.jpg"])
        #expect(d.images.hiddenEntries == 1 && d.images.skippedFiles == 1)
    }

    @Test func thePlanHashesTheIndexAndChecksItWhenLoaded() throws {
        let fx = try ArchiveFixture()
        for f in Self.classFiles { try fx.file(f) }
        let tar = try fx.tar("t.tar", .pythonPax, Self.classFiles)
        let spec = DatasetSpec(name: "t", role: .idTrain, layout: .tar, root: tar)
        let (plan, file) = try fx.plan([spec])
        let loaded = try ShardPlan.load(path: file)
        #expect(loaded == plan)
        #expect(loaded.datasets[0].archiveChecksum != nil)
        #expect(try ShardPlan.make(datasets: [spec], imagesPerShard: 2, previous: loaded) == plan, "reused as it is")

        // The same images as loose files hash differently: the index is part of the dataset's hash.
        let index = ArchiveIndex.file(besidePlan: file, dataset: "t")
        var bytes = Array(try Data(contentsOf: URL(fileURLWithPath: index)))
        bytes[bytes.count - 20] ^= 1
        try Data(bytes).write(to: URL(fileURLWithPath: index))
        let damaged = ArchiveFixture.error { _ = try ShardPlan.load(path: file) }
        #expect(damaged.contains("dataset.bad-plan") && damaged.contains(index), "\(damaged)")
    }

    @Test func aTarChangedAfterPlanningIsRefusedNamingIt() throws {
        let fx = try ArchiveFixture()
        for f in Self.classFiles { try fx.file(f) }
        let tar = try fx.tar("t.tar", .gnuTarPax, Self.classFiles)
        let (plan, file) = try fx.plan([DatasetSpec(name: "t", role: .idTrain, layout: .tar, root: tar)])
        try plan.checkArchivesUnchanged()
        let later = Date(timeIntervalSinceNow: 60)
        try FileManager.default.setAttributes([.modificationDate: later], ofItemAtPath: tar)
        let refused = ArchiveFixture.error { try plan.checkArchivesUnchanged() }
        #expect(
            refused.contains("dataset.archive-changed") && refused.contains(tar)
                && refused.contains("modification time"))
        let worker = ArchiveFixture.error { _ = try fx.readAll(plan.datasets[0], planFile: file) }
        #expect(worker.contains("dataset.archive-changed") && worker.contains(tar), "\(worker)")
        #expect(
            try ShardPlan.make(datasets: [plan.datasets[0].spec], imagesPerShard: 2, previous: plan).hash != plan.hash,
            "a changed tar is indexed again, not reused")
    }
}
