import Imaging
import TagoodSupport

/// The generated dataset of `tagood demo`: real JPEG files in ImageFolder layout, drawn procedurally and
/// deterministically from a seed.
///
/// ```
/// <root>/train/c0-circle/0000.jpg …      in-distribution classes (ImageFolder, folders in index order)
/// <root>/val/c0-circle/0000.jpg …
/// <root>/ood-near/0000.jpg …             other shapes in the same style (star, cross, ring, …)
/// <root>/ood-far/0000.jpg …              textures and gradients with no object
/// <root>/class_tags.txt                  class → tag map: `<index> <folder> <display>,<tag>`
/// <root>/tag_list.txt                    the tag vocabulary, one tag per line
/// ```
///
/// Each class is a shape in a colour with a texture (``DemoClass/table(count:)``), jittered in size,
/// aspect, position, rotation and colour on a varied muted background with pixel noise. Every image is
/// drawn from its own SplitMix64 stream derived from the seed and the image's identity, with plain IEEE
/// arithmetic only, so the same seed and parameters give byte-identical files on every machine with the
/// same libjpeg.
public struct DemoDataset: Sendable, Equatable {
    /// The seed of every image.
    public var seed: UInt64
    /// The number of in-distribution classes, 1...``DemoClass/maxCount``.
    public var classes: Int
    /// Training images per class.
    public var trainPerClass: Int
    /// Validation images per class.
    public var valPerClass: Int
    /// Images in `ood-near`.
    public var oodNear: Int
    /// Images in `ood-far`.
    public var oodFar: Int
    /// Width and height of every image, 32...2048.
    public var size: Int
    /// JPEG quality, 1...100.
    public var quality: Int

    /// Describes a dataset; nothing is drawn until ``generate(into:progress:)``.
    public init(
        seed: UInt64, classes: Int = 8, trainPerClass: Int = 24, valPerClass: Int = 8, oodNear: Int = 48,
        oodFar: Int = 48, size: Int = 160, quality: Int = 90
    ) {
        self.seed = seed
        self.classes = classes
        self.trainPerClass = trainPerClass
        self.valPerClass = valPerClass
        self.oodNear = oodNear
        self.oodFar = oodFar
        self.size = size
        self.quality = quality
    }

    /// Generates a dataset into `root` (created if missing; it must be absent or empty).
    public static func generate(
        into root: String, seed: UInt64, classes: Int = 8, trainPerClass: Int,
        valPerClass: Int, oodNear: Int, oodFar: Int, size: Int = 160,
        quality: Int = 90
    ) throws(DemoDataError) -> DemoManifest {
        try DemoDataset(
            seed: seed, classes: classes, trainPerClass: trainPerClass, valPerClass: valPerClass,
            oodNear: oodNear, oodFar: oodFar, size: size, quality: quality
        ).generate(into: root)
    }

    /// Checks every parameter, saying which is wrong and what is allowed.
    public func validate() throws(DemoDataError) {
        func check(_ ok: Bool, _ message: String) throws(DemoDataError) {
            if !ok { throw DemoDataError(.badParameter, message) }
        }
        try check(
            (1...DemoClass.maxCount).contains(classes),
            "classes must be 1...\(DemoClass.maxCount), not \(classes)")
        try check(trainPerClass >= 1, "trainPerClass must be at least 1, not \(trainPerClass)")
        try check(valPerClass >= 0, "valPerClass must not be negative (\(valPerClass))")
        try check(oodNear >= 0, "oodNear must not be negative (\(oodNear))")
        try check(oodFar >= 0, "oodFar must not be negative (\(oodFar))")
        try check(
            max(trainPerClass, valPerClass, oodNear, oodFar) <= 9999,
            "at most 9999 images per folder (file names have 4 digits)")
        try check((32...2048).contains(size), "size must be 32...2048 pixels, not \(size)")
        try check(RGBImage.jpegQualities.contains(quality), "quality must be 1...100, not \(quality)")
    }

    /// The number of images ``generate(into:progress:)`` writes.
    public var imageCount: Int { classes * (trainPerClass + valPerClass) + oodNear + oodFar }

    /// Draws every image and writes the dataset into `root`, which is created if missing and must be
    /// absent or empty. `progress`, if given, is called after each image with (images written,
    /// ``imageCount``). Returns what was written.
    ///
    /// This is CPU work and blocking file I/O (each file is written with ``AtomicFile``): call it from a
    /// thread of your own, not from the Swift concurrency pool.
    public func generate(
        into root: String,
        progress: ((_ done: Int, _ total: Int) -> Void)? = nil
    ) throws(DemoDataError) -> DemoManifest {
        try validate()
        guard DemoFiles.isAbsentOrEmpty(root) else {
            throw DemoDataError(.notEmpty, "\(root) is not an empty folder; pick a new one for the demo dataset")
        }
        var writer = TreeWriter(root: root, quality: quality)
        let table = classTable
        for (split, count) in [(DemoSplit.train, trainPerClass), (.val, valPerClass)] {
            for item in table {
                let folder = "\(split.rawValue)/\(item.folder)"
                try writer.makeFolder(folder)
                for index in 0..<count {
                    try writer.write(
                        render(.inDistribution(split, item.index, index)), as: folder + "/" + Self.name(index))
                    progress?(writer.files.count, imageCount)
                }
            }
        }
        for (split, count) in [(DemoSplit.oodNear, oodNear), (.oodFar, oodFar)] {
            try writer.makeFolder(split.rawValue)
            for index in 0..<count {
                let item: DemoItem = split == .oodNear ? .nearOOD(index) : .farOOD(index)
                try writer.write(render(item), as: split.rawValue + "/" + Self.name(index))
                progress?(writer.files.count, imageCount)
            }
        }
        let classTagMapPath = Path.join(root, "class_tags.txt"), tagListPath = Path.join(root, "tag_list.txt")
        try DemoFiles.write(Array(classTagMapText.utf8), to: classTagMapPath)
        try DemoFiles.write(Array(tagListText.utf8), to: tagListPath)
        return DemoManifest(
            root: root, seed: seed, classes: table, tags: tags,
            trainRoot: Path.join(root, "train"), valRoot: Path.join(root, "val"),
            oodNearRoot: Path.join(root, "ood-near"), oodFarRoot: Path.join(root, "ood-far"),
            classTagMapPath: classTagMapPath, tagListPath: tagListPath,
            files: writer.files, treeHash: writer.hash.digest())
    }

    /// `0042.jpg`.
    static func name(_ index: Int) -> String {
        let digits = String(index)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits + ".jpg"
    }
}
