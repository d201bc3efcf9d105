#if canImport(Glibc)
import Glibc
import TagoodSupport
#endif

/// Scans a dataset root into an ``ImageList`` with `opendir`/`readdir` (no per-file `stat` when the
/// file system reports entry types), fast enough for ImageNet's 1.28 million files.
///
/// Order: classes sorted by name; inside a class (or a nested root) folders are visited in sorted order
/// of their path and files sorted by name within each folder — the order of Python's
/// `sorted(os.walk(root))` that torchvision's `ImageFolder` uses. Names compare as UTF-8 bytes
/// (= Python's code point order); names that are not UTF-8 are kept losslessly (``FileName``). Hidden entries (starting with `.`) are skipped and counted; symbolic links are
/// followed, as `os.walk(followlinks=True)` does. Only regular files are planned: an entry named like
/// an image that is a FIFO, a device (a link to `/dev/zero`), a socket or a dangling link is skipped
/// and counted like any other file that is not an image (``ImageList/skippedFiles``), since reading
/// it would block or never end.
public enum DirectoryScanner {
    /// Scans `root` with the given layout (`.imageFolder` or `.nested`).
    public static func scan(root: String, layout: DatasetLayout) throws(DatasetError) -> ImageList {
        try requireDirectory(root)
        switch layout {
        case .imageFolder:
            return try scanImageFolder(root: root)
        case .nested:
            var walk = Walk()
            try walk.visit(root: root, relative: "")
            guard !walk.paths.isEmpty else {
                throw DatasetError(
                    .empty,
                    "dataset root \(root) contains no .jpg, .jpeg or .png images"
                        + (walk.skipped > 0 ? " (\(walk.skipped) other files were skipped)" : ""))
            }
            return ImageList(
                paths: walk.paths, labels: [Int32](repeating: -1, count: walk.paths.count),
                skippedFiles: walk.skipped, hiddenEntries: walk.hidden)
        case .list, .tar, .webdataset:
            throw DatasetError(
                .badPlan,
                "layout '\(layout.rawValue)' is not a directory scan of \(root): use DatasetSpec.scanWithIndex")
        }
    }

    private static func scanImageFolder(root: String) throws(DatasetError) -> ImageList {
        let (entries, hiddenAtRoot) = try listDirectory(root)
        let classes = entries.filter { $0.isDirectory }.map(\.name)
        guard !classes.isEmpty else {
            throw DatasetError(
                .empty,
                "dataset root \(root) has no class folders: the imagefolder layout "
                    + "expects <root>/<class>/<image>; use layout 'nested' for a folder of images")
        }
        var walk = Walk()
        walk.hidden = hiddenAtRoot
        walk.skipped = entries.filter { !$0.isDirectory }.count // files beside the class folders
        var labels: [Int32] = []
        for (index, name) in classes.enumerated() {
            let before = walk.paths.count
            try walk.visit(root: root, relative: name)
            labels.append(contentsOf: repeatElement(Int32(index), count: walk.paths.count - before))
        }
        guard !walk.paths.isEmpty else {
            throw DatasetError(
                .empty, "dataset root \(root) has \(classes.count) class folders but no .jpg, .jpeg or .png images")
        }
        return ImageList(
            paths: walk.paths, labels: labels, classes: classes, skippedFiles: walk.skipped, hiddenEntries: walk.hidden)
    }

    private static func requireDirectory(_ root: String) throws(DatasetError) {
        var st = stat()
        guard stat(root, &st) == 0 else {
            throw DatasetError(
                .missingRoot,
                "dataset root \(root) does not exist: check the path (and that the file system is mounted)")
        }
        guard (st.st_mode & S_IFMT) == S_IFDIR else {
            throw DatasetError(.notADirectory, "dataset root \(root) is not a directory")
        }
    }

    /// One directory entry: its name (``FileName``-escaped), its bytes on disk, and whether it is a
    /// directory or a regular file (after following links).
    struct Entry {
        var name: String
        var bytes: [UInt8]
        var isDirectory: Bool
        var isRegularFile: Bool
    }

    /// The non-hidden entries of `path`, sorted by name bytes, and how many hidden ones were skipped.
    static func listDirectory(_ path: String) throws(DatasetError) -> (entries: [Entry], hidden: Int) {
        let listed: [FileSystem.Entry]
        do { listed = try FileSystem.entries(path) } catch {
            throw DatasetError(.unreadable, "cannot read directory \(path): \(String(cString: strerror(error.errno)))")
        }
        var entries: [Entry] = []
        entries.reserveCapacity(listed.count)
        let hidden = listed.count(where: { $0.name.utf8.first == UInt8(ascii: ".") })
        for entry in listed where entry.name.utf8.first != UInt8(ascii: ".") {
            let isDirectory: Bool
            let isRegularFile: Bool
            switch entry.kind {
            case .folder: (isDirectory, isRegularFile) = (true, false)
            case .file: (isDirectory, isRegularFile) = (false, true)
            case .other, .unknown: // a link, a FIFO, a device, or a file system that does not report types
                var st = stat()
                let found = FileName.withCString(path + "/" + entry.name, { stat($0, &st) }) == 0
                isDirectory = found && (st.st_mode & S_IFMT) == S_IFDIR
                isRegularFile = found && (st.st_mode & S_IFMT) == S_IFREG
            }
            entries.append(
                Entry(
                    name: entry.name, bytes: FileName.bytes(entry.name), isDirectory: isDirectory,
                    isRegularFile: isRegularFile))
        }
        entries.sort { $0.bytes.lexicographicallyPrecedes($1.bytes) }
        return (entries, hidden)
    }

    /// A walk in `sorted(os.walk(top))` order: every folder's images, folders ordered by their whole
    /// path (so `a`, `a b`, `a/x`: a global sort, not a depth-first visit), files by name within a folder.
    struct Walk {
        var paths: [String] = []
        var skipped = 0
        var hidden = 0

        /// Adds the images under `root/top` (or `root` when `top` is empty), paths relative to `root`.
        mutating func visit(root: String, relative top: String) throws(DatasetError) {
            var folders: [(path: [UInt8], files: [String])] = []
            try collect(root: root, relative: top, depth: 0, into: &folders)
            folders.sort { $0.path.lexicographicallyPrecedes($1.path) }
            for folder in folders {
                paths.append(contentsOf: folder.files)
            }
        }

        private mutating func collect(
            root: String, relative: String, depth: Int,
            into folders: inout [(path: [UInt8], files: [String])]
        ) throws(DatasetError) {
            guard depth < 64 else {
                throw DatasetError(
                    .unreadable,
                    "folder nesting under \(root)/\(relative) is deeper than 64 levels: is there a symbolic link loop?")
            }
            let (entries, hiddenHere) = try DirectoryScanner.listDirectory(
                relative.isEmpty ? root : root + "/" + relative)
            hidden += hiddenHere
            let prefix = relative.isEmpty ? "" : relative + "/"
            var files: [String] = []
            for entry in entries where !entry.isDirectory {
                if entry.isRegularFile && ImageList.hasImageExtension(entry.name) {
                    files.append(prefix + entry.name)
                } else {
                    skipped += 1
                }
            }
            folders.append((FileName.bytes(relative), files))
            for entry in entries where entry.isDirectory {
                try collect(root: root, relative: prefix + entry.name, depth: depth + 1, into: &folders)
            }
        }
    }
}
