import DemoData
import Extract
import Foundation
import Imaging
import Testing

@Suite struct GenerationTests {
    @Test func theSameSeedGivesByteIdenticalFiles() throws {
        let first = try GeneratedTree(name: "first"), second = try GeneratedTree(name: "second")
        let a = try TreeReading.hashes(under: first.root), b = try TreeReading.hashes(under: second.root)
        #expect(a.count == first.manifest.files.count + 2)
        #expect(a == b)
        #expect(first.manifest.treeHash == second.manifest.treeHash)
        #expect(first.manifest.files == second.manifest.files)
    }

    @Test func anotherSeedGivesOtherImages() throws {
        let first = try GeneratedTree(name: "seed7")
        var other = GeneratedTree.small
        other.seed = 8
        let second = try GeneratedTree(other, name: "seed8")
        #expect(first.manifest.treeHash != second.manifest.treeHash)
        let a = try TreeReading.hashes(under: first.root), b = try TreeReading.hashes(under: second.root)
        let images = first.manifest.files
        #expect(images.allSatisfy { a[$0] != b[$0] })
        // The tag files do not depend on the seed.
        #expect(a["class_tags.txt"] == b["class_tags.txt"] && a["tag_list.txt"] == b["tag_list.txt"])
    }

    @Test func writesTheImageFolderLayout() throws {
        let tree = try GeneratedTree()
        let m = tree.manifest
        let folders = (0..<8).map { m.classes[$0].folder }
        #expect(
            folders == [
                "c0-circle", "c1-square", "c2-triangle", "c3-hexagon", "c4-diamond", "c5-pentagon",
                "c6-semicircle", "c7-bar"
            ])
        #expect(folders == folders.sorted())
        #expect(
            try TreeReading.entries(tree.root)
                == ["class_tags.txt", "ood-far", "ood-near", "tag_list.txt", "train", "val"])
        #expect(try TreeReading.entries(m.trainRoot) == folders)
        #expect(try TreeReading.entries(m.valRoot) == folders)
        for folder in folders {
            #expect(try TreeReading.entries(m.trainRoot + "/" + folder) == ["0000.jpg", "0001.jpg", "0002.jpg"])
            #expect(try TreeReading.entries(m.valRoot + "/" + folder) == ["0000.jpg", "0001.jpg"])
        }
        let six = (0..<6).map { "000\($0).jpg" }
        #expect(try TreeReading.entries(m.oodNearRoot) == six)
        #expect(try TreeReading.entries(m.oodFarRoot) == six)
        #expect((m.trainCount, m.valCount, m.oodNearCount, m.oodFarCount) == (24, 16, 6, 6))
        #expect(try TreeReading.files(under: tree.root) == (m.files + ["class_tags.txt", "tag_list.txt"]).sorted())
        #expect(m.files.first == "train/c0-circle/0000.jpg" && m.files.last == "ood-far/0005.jpg")
    }

    @Test func everyImageDecodesAsAJPEG() throws {
        let tree = try GeneratedTree()
        let decoder = ImageDecoder()
        for file in tree.manifest.files {
            let decoded = try decoder.decode(file: tree.root + "/" + file)
            #expect(decoded.source.format == .jpeg && decoded.source.mode == "RGB", "\(file)")
            #expect(decoded.source.details.first == "baseline", "\(file)")
            #expect(decoded.image.width == 64 && decoded.image.height == 64, "\(file)")
        }
    }

    @Test func theTagFilesLoadAsAClassMapAndAVocabulary() throws {
        let tree = try GeneratedTree()
        let m = tree.manifest
        let vocabulary = try TagVocabulary.load(path: m.tagListPath)
        #expect(vocabulary.names == m.tags)
        #expect(Set(m.tags).count == m.tags.count)
        for extra in ["star", "cross", "ring", "stripes", "checkerboard", "noise", "gradient"] {
            #expect(vocabulary.id(of: extra) != nil, "\(extra)")
        }
        let map = try ClassTagMap.load(path: m.classTagMapPath, vocabulary: vocabulary)
        #expect(map.classNames == m.classes.map(\.folder))
        #expect(map.classTags == m.classes.map { vocabulary.id(of: $0.tag)! })
        #expect(map.idTags.count == 8)
        let text = String(decoding: try TreeReading.bytes(m.classTagMapPath), as: UTF8.self)
        #expect(text.hasPrefix("0 c0-circle red circle,circle\n1 c1-square blue square,square\n"))
    }

    @Test func reportsProgressPerImage() throws {
        let dataset = DemoDataset(
            seed: 5, classes: 2, trainPerClass: 2, valPerClass: 1, oodNear: 1, oodFar: 2, size: 32)
        let root = TreeReading.scratchPath("progress")
        defer { try? FileManager.default.removeItem(atPath: root) }
        var seen: [Int] = []
        _ = try dataset.generate(into: root) { done, total in
            #expect(total == 9)
            seen.append(done)
        }
        #expect(seen == Array(1...9) && dataset.imageCount == 9)
    }

    @Test func aClassCountBelowEightWorks() throws {
        let dataset = DemoDataset(
            seed: 1, classes: 3, trainPerClass: 1, valPerClass: 0, oodNear: 2, oodFar: 0,
            size: 32)
        let tree = try GeneratedTree(dataset, name: "three")
        #expect(try TreeReading.entries(tree.manifest.trainRoot) == ["c0-circle", "c1-square", "c2-triangle"])
        #expect(try TreeReading.entries(tree.manifest.valRoot + "/c0-circle").isEmpty)
        #expect(try TreeReading.entries(tree.manifest.oodFarRoot).isEmpty)
        let vocabulary = try TagVocabulary.load(path: tree.manifest.tagListPath)
        #expect(try ClassTagMap.load(path: tree.manifest.classTagMapPath, vocabulary: vocabulary).classNames.count == 3)
    }
}
