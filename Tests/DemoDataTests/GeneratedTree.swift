import DemoData
import Foundation

/// A demo dataset generated into a scratch folder for one test, removed when released.
final class GeneratedTree {
    let root: String
    let dataset: DemoDataset
    let manifest: DemoManifest

    /// A small dataset: quick to draw, still every kind of image.
    static let small = DemoDataset(
        seed: 7, classes: 8, trainPerClass: 3, valPerClass: 2, oodNear: 6, oodFar: 6,
        size: 64)

    init(_ dataset: DemoDataset = GeneratedTree.small, name: String = "tree") throws {
        root = TreeReading.scratchPath(name)
        self.dataset = dataset
        manifest = try dataset.generate(into: root)
    }

    deinit {
        try? FileManager.default.removeItem(atPath: root)
    }
}
