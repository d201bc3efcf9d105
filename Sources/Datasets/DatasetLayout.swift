/// How a dataset's images are found on disk.
public enum DatasetLayout: String, Sendable, Codable, CaseIterable {
    /// `<root>/<class>/…/<image>`: the class is the first folder under the root; classes are numbered in
    /// sorted order (ImageNet's wnids sort into the standard 0…999 indices). Same as torchvision's
    /// `ImageFolder`.
    case imageFolder = "imagefolder"
    /// Every image anywhere under the root, labelled -1. For OOD sets (iNaturalist, SUN, Places, Textures,
    /// ImageNet-O, OpenImage-O).
    case nested
    /// An explicit list file: one path (relative to the root) per line, optionally followed by an integer
    /// label. For the MOS and ViM benchmark lists.
    case list
    /// Tar files read in place (`root`: one tar, a folder of them, or a glob), with ImageFolder's rules
    /// inside: the class is a member's first folder, or an inner tar (followed one level, named after it
    /// without `.tar`). An optional list file labels a flat tar. Paths name the member:
    /// `ILSVRC2012_img_train.tar/n01440764.tar/n01440764_10026.JPEG`.
    case tar
    /// webdataset shards (`root`: a folder or glob of tars): a sample is the members sharing a key; its
    /// image is the member with an image extension, its label `KEY.cls`, else -1.
    case webdataset

    /// Whether images are read from tars through an ``ArchiveIndex``.
    public var readsArchives: Bool { self == .tar || self == .webdataset }
}
