/// The images of one dataset, in their canonical order, with their labels.
///
/// The order is deterministic: it depends only on the file names, never on the order the file system
/// returns them in, so two scans of the same tree give the same list and the same plan hash.
public struct ImageList: Sendable, Equatable {
    /// Image paths relative to the dataset root, `/`-separated.
    public var paths: [String]
    /// One label per path: the class index for ImageFolder layouts, the list's label, or -1.
    public var labels: [Int32]
    /// Class names in index order (ImageFolder only; empty otherwise).
    public var classes: [String]
    /// Files under the root that were not taken as images (wrong extension), counted so that nothing
    /// disappears without a word.
    public var skippedFiles: Int
    /// Hidden entries (names starting with `.`, files or folders) that were skipped, counted too; a
    /// hidden folder counts once and is not entered.
    public var hiddenEntries: Int

    public init(paths: [String], labels: [Int32], classes: [String] = [], skippedFiles: Int = 0, hiddenEntries: Int = 0)
    {
        precondition(paths.count == labels.count, "one label per path")
        self.paths = paths
        self.labels = labels
        self.classes = classes
        self.skippedFiles = skippedFiles
        self.hiddenEntries = hiddenEntries
    }

    /// The number of images.
    public var count: Int { paths.count }

    /// Whether `name` has an image extension tagood reads: `.jpg`, `.jpeg`, `.png`, in any case
    /// (ImageNet uses `.JPEG`). The content decides the decoder later, not the extension.
    public static func hasImageExtension(_ name: String) -> Bool { hasImageExtension(bytes: name.utf8) }

    /// Whether the name whose bytes are `name` has an image extension (``hasImageExtension(_:)``).
    public static func hasImageExtension<Bytes: BidirectionalCollection<UInt8>>(bytes name: Bytes) -> Bool {
        var ext: UInt32 = 0 // the last up-to-4 bytes before the dot, ASCII lower case, last byte lowest
        var count = 0
        for byte in name.reversed() {
            if byte == UInt8(ascii: ".") {
                switch count {
                case 3: return ext == 0x6A_7067 || ext == 0x70_6E67 // "jpg", "png"
                case 4: return ext == 0x6A70_6567 // "jpeg"
                default: return false
                }
            }
            if count == 4 { return false }
            ext |= UInt32(byte | 0x20) << (8 * UInt32(count))
            count += 1
        }
        return false
    }
}
