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
}
