import TagoodSupport

#if canImport(Glibc)
import Glibc
#endif

/// The tars a `tar` or `webdataset` dataset's `root` names: one tar file, every `*.tar` in a folder, or
/// the regular files a glob (`/data/wds/shard-*.tar`) matches, sorted by name bytes.
///
/// Image paths are relative to ``base``: the tar's folder, the folder, or the glob's part before its
/// first wildcard, so they start with the tar's name (`ILSVRC2012_img_train.tar/…`).
public struct ArchiveRoot: Sendable, Equatable {
    /// The folder paths are relative to.
    public var base: String
    /// The tars: their paths, and their names relative to ``base``.
    public var tars: [(path: String, name: String)]

    public static func == (a: ArchiveRoot, b: ArchiveRoot) -> Bool {
        a.base == b.base && a.tars.map(\.path) == b.tars.map(\.path)
    }

    /// Whether `root` is a glob pattern.
    public static func isPattern(_ root: String) -> Bool { root.contains { "*?[".contains($0) } }

    /// Resolves `root`; an empty match is an error.
    public static func resolve(_ root: String) throws(DatasetError) -> ArchiveRoot {
        if isPattern(root) { return try glob(root) }
        var st = stat()
        guard FileName.withCString(root, { stat($0, &st) }) == 0 else {
            throw DatasetError(
                .missingRoot, "dataset root \(FileName.display(root)) does not exist: check the path", subject: root)
        }
        switch st.st_mode & S_IFMT {
        case S_IFREG:
            let base = Path.directory(of: root)
            return ArchiveRoot(base: base, tars: [(root, Path.basename(of: root))])
        case S_IFDIR:
            let listed: [FileSystem.Entry]
            do { listed = try FileSystem.entries(root) } catch {
                throw DatasetError(
                    .unreadable, "cannot read directory \(root): \(String(cString: strerror(error.errno)))",
                    subject: root)
            }
            let names = listed.map(\.name).filter { isTarName($0) && !$0.hasPrefix(".") }
                .sorted { FileName.bytes($0).lexicographicallyPrecedes(FileName.bytes($1)) }
            guard !names.isEmpty else {
                throw DatasetError(.empty, "dataset root \(root) holds no .tar files", subject: root)
            }
            return ArchiveRoot(base: root, tars: names.map { (Path.join(root, $0), $0) })
        default:
            throw DatasetError(
                .notARegularFile, "dataset root \(root) is \(FileBytes.kind(of: st.st_mode)), not a tar or a folder",
                subject: root)
        }
    }

    /// Whether a name ends with `.tar` (in any letter case).
    static func isTarName(_ name: String) -> Bool { name.lowercased().hasSuffix(".tar") }

    private static func glob(_ pattern: String) throws(DatasetError) -> ArchiveRoot {
        var components = pattern.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        var baseComponents: [String] = []
        while let first = components.first, !isPattern(first), components.count > 1 {
            baseComponents.append(first)
            components.removeFirst()
        }
        let joined = baseComponents.joined(separator: "/")
        let base = baseComponents.isEmpty ? "." : (joined.isEmpty ? "/" : joined)
        var matches = glob_t()
        defer { globfree(&matches) }
        let status = FileName.withCString(pattern) { Glibc.glob($0, 0, nil, &matches) }
        var paths: [String] = []
        if status == 0 {
            for i in 0..<Int(matches.gl_pathc) {
                guard let p = matches.gl_pathv[i] else { continue }
                let path = FileName.decode(
                    UnsafeBufferPointer(
                        start: UnsafeRawPointer(p).assumingMemoryBound(to: UInt8.self), count: strlen(p)))
                var st = stat()
                if FileName.withCString(path, { stat($0, &st) }) == 0, (st.st_mode & S_IFMT) == S_IFREG {
                    paths.append(path)
                }
            }
        }
        guard !paths.isEmpty else {
            throw DatasetError(.empty, "dataset root \(pattern) matches no tar file", subject: pattern)
        }
        let prefix = base == "/" ? "/" : base + "/"
        let tars = paths.map { path in (path, path.hasPrefix(prefix) ? String(path.dropFirst(prefix.count)) : path) }
            .sorted { FileName.bytes($0.1).lexicographicallyPrecedes(FileName.bytes($1.1)) }
        return ArchiveRoot(base: base, tars: tars)
    }
}
