/// What ``DemoDataset/generate(into:progress:)`` wrote: the folders to point a job at, the tag files, and every
/// image file with a hash of the whole tree.
public struct DemoManifest: Sendable, Equatable {
    /// The dataset folder.
    public let root: String
    /// The seed the images were drawn from.
    public let seed: UInt64
    /// The in-distribution classes, in index order.
    public let classes: [DemoClass]
    /// The tag vocabulary, in id order (as written to ``tagListPath``).
    public let tags: [String]
    /// `<root>/train`: ImageFolder, one folder per class.
    public let trainRoot: String
    /// `<root>/val`: ImageFolder, one folder per class.
    public let valRoot: String
    /// `<root>/ood-near`: other shapes drawn in the in-distribution style.
    public let oodNearRoot: String
    /// `<root>/ood-far`: textures and gradients with no object.
    public let oodFarRoot: String
    /// `<root>/class_tags.txt`: the class → tag map (`<index> <folder> <display>,<tag>` per line).
    public let classTagMapPath: String
    /// `<root>/tag_list.txt`: one tag per line, the line number being the tag id.
    public let tagListPath: String
    /// Every image file, relative to ``root``, in the order written: `train`, `val`, `ood-near`, `ood-far`,
    /// and by class and index within each.
    public let files: [String]
    /// XXH64 over every image: for each file in ``files`` order, its relative path, a 0 byte, its length
    /// (8 bytes little-endian) and its bytes. The same seed and parameters give the same hash.
    public let treeHash: UInt64

    /// The number of images under `train/`.
    public var trainCount: Int { files.count { $0.hasPrefix("train/") } }
    /// The number of images under `val/`.
    public var valCount: Int { files.count { $0.hasPrefix("val/") } }
    /// The number of images under `ood-near/`.
    public var oodNearCount: Int { files.count { $0.hasPrefix("ood-near/") } }
    /// The number of images under `ood-far/`.
    public var oodFarCount: Int { files.count { $0.hasPrefix("ood-far/") } }
}
