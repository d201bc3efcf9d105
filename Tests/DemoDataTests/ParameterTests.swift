import DemoData
import Foundation
import Testing

@Suite struct ParameterTests {
    static let bad: [(DemoDataset, String)] = [
        (DemoDataset(seed: 1, classes: 0), "classes"),
        (DemoDataset(seed: 1, classes: DemoClass.maxCount + 1), "classes"),
        (DemoDataset(seed: 1, trainPerClass: 0), "trainPerClass"),
        (DemoDataset(seed: 1, valPerClass: -1), "valPerClass"),
        (DemoDataset(seed: 1, oodNear: -2), "oodNear"),
        (DemoDataset(seed: 1, oodFar: -3), "oodFar"),
        (DemoDataset(seed: 1, size: 16), "size"),
        (DemoDataset(seed: 1, quality: 0), "quality"),
        (DemoDataset(seed: 1, quality: 101), "quality")
    ]

    @Test(arguments: 0..<bad.count)
    func rejectsABadParameterBeforeWritingAnything(_ index: Int) {
        let (dataset, parameter) = Self.bad[index]
        let root = TreeReading.scratchPath("bad")
        #expect {
            _ = try dataset.generate(into: root)
        } throws: { error in
            guard let error = error as? DemoDataError else { return false }
            return error.code == "demo-data.bad-parameter" && error.description.hasPrefix(parameter)
        }
        #expect(!FileManager.default.fileExists(atPath: root))
    }

    @Test func refusesAFolderThatHoldsFiles() throws {
        let root = TreeReading.scratchPath("full")
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        try Data("keep me".utf8).write(to: URL(fileURLWithPath: root + "/notes.txt"))
        #expect {
            _ = try DemoDataset(seed: 1, trainPerClass: 1, valPerClass: 0, oodNear: 0, oodFar: 0, size: 32)
                .generate(into: root)
        } throws: { error in
            (error as? DemoDataError)?.code == "demo-data.not-empty" && "\(error)".contains(root)
        }
        #expect(try TreeReading.entries(root) == ["notes.txt"])
    }

    @Test func generatesIntoAnExistingEmptyFolder() throws {
        let root = TreeReading.scratchPath("empty")
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let manifest = try DemoDataset.generate(
            into: root, seed: 3, classes: 2, trainPerClass: 1, valPerClass: 1,
            oodNear: 1, oodFar: 1, size: 32)
        #expect(manifest.files.count == 6)
    }

    @Test func reportsAnUnwritableRoot() {
        #expect {
            _ = try DemoDataset(seed: 1, trainPerClass: 1, size: 32).generate(into: "/proc/tagood-demo-data")
        } throws: { error in
            (error as? DemoDataError)?.code == "demo-data.unwritable" && "\(error)".contains("/proc/tagood-demo-data")
        }
    }
}
