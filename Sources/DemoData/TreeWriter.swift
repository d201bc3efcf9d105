import Imaging
import TagoodSupport

/// Writes the dataset's JPEG files under a root, keeping the list of files and the tree hash.
struct TreeWriter {
    let root: String
    let quality: Int
    /// Relative paths in the order written.
    private(set) var files: [String] = []
    /// XXH64 over (path, 0, length, bytes) of every file written.
    private(set) var hash = XXH64()

    init(root: String, quality: Int) {
        self.root = root
        self.quality = quality
    }

    /// Creates `<root>/<relative>` and its parents.
    func makeFolder(_ relative: String) throws(DemoDataError) {
        try DemoFiles.makeDirectories(Path.join(root, relative))
    }

    /// Encodes `image` and writes it to `<root>/<relative>`.
    mutating func write(_ image: RGBImage, as relative: String) throws(DemoDataError) {
        let path = Path.join(root, relative)
        let bytes: [UInt8]
        do {
            bytes = try image.jpegData(quality: quality, label: path)
        } catch {
            throw DemoDataError(.unwritable, "cannot encode \(path): \(error)")
        }
        try DemoFiles.write(bytes, to: path)
        hash.update(Array(relative.utf8) + [0])
        hash.update(integer: UInt64(bytes.count))
        hash.update(bytes)
        files.append(relative)
    }
}
