import TagoodSupport

#if canImport(Glibc)
import Glibc
#endif

/// Reads an explicit image list, as the MOS and ViM benchmarks ship them.
///
/// Format: one image per line, its path relative to the dataset root, optionally followed by whitespace
/// and an integer label (`-1` for OOD images). Blank lines and lines starting with `#` are ignored. A
/// path may contain spaces; only a trailing integer is taken as the label. The list's order is kept.
public enum ListFileReader {
    /// Reads `file`, resolving paths against `root`.
    ///
    /// - Parameter checkFilesExist: stat every listed image, so a typo (or a listed FIFO or device, which
    ///   is not a regular file) fails the plan instead of becoming a per-image error hours later.
    public static func read(file: String, root: String, checkFilesExist: Bool = true) throws(DatasetError) -> ImageList
    {
        let text = try readWholeFile(file)
        var paths: [String] = []
        var labels: [Int32] = []
        // Duplicates: a 64-bit hash of each path's bytes → its first index (compared on a hash hit).
        var seen: [UInt64: Int] = [:]
        var collided = Set<String>() // paths whose hash another path already took
        var lineNumber = 0
        // Work on raw bytes: Character-level String operations are far too slow for 1.3M lines.
        let result: Result<Void, DatasetError> = text.withUnsafeBufferPointer { bytes in
            Result { () throws(DatasetError) in
                var lineStart = 0
                while lineStart < bytes.count {
                    var newline = lineStart
                    while newline < bytes.count, bytes[newline] != UInt8(ascii: "\n") { newline += 1 }
                    defer { lineStart = newline + 1 }
                    lineNumber += 1
                    var lo = lineStart, hi = newline
                    while lo < hi, bytes[lo] == space || bytes[lo] == tab { lo += 1 }
                    while hi > lo, bytes[hi - 1] == space || bytes[hi - 1] == tab || bytes[hi - 1] == carriageReturn {
                        hi -= 1
                    }
                    if lo == hi || bytes[lo] == UInt8(ascii: "#") { continue }
                    var pathEnd = hi
                    var label: Int32 = -1
                    var split = hi - 1
                    while split > lo, bytes[split] != space, bytes[split] != tab { split -= 1 }
                    if split > lo, let value = parseInteger(UnsafeBufferPointer(rebasing: bytes[(split + 1)..<hi])) {
                        label = value
                        pathEnd = split
                        while pathEnd > lo, bytes[pathEnd - 1] == space || bytes[pathEnd - 1] == tab { pathEnd -= 1 }
                    }
                    let pathBytes = UnsafeBufferPointer(rebasing: bytes[lo..<pathEnd])
                    let path = FileName.decode(pathBytes)
                    guard pathBytes[0] != UInt8(ascii: "/") else {
                        throw DatasetError(
                            .badListLine,
                            "list file \(file) line \(lineNumber): '\(FileName.display(path))' is absolute; list paths must be relative to the dataset root \(root)"
                        )
                    }
                    guard ImageList.hasImageExtension(path) else {
                        throw DatasetError(
                            .badListLine,
                            "list file \(file) line \(lineNumber): '\(FileName.display(path))' is not a .jpg, .jpeg or .png path"
                        )
                    }
                    let key = fnv1a(pathBytes)
                    let duplicate: Bool
                    if let first = seen[key] {
                        duplicate = paths[first] == path || !collided.insert(path).inserted
                    } else {
                        seen[key] = paths.count
                        duplicate = false
                    }
                    guard !duplicate else {
                        throw DatasetError(
                            .duplicateImage,
                            "list file \(file) line \(lineNumber): '\(FileName.display(path))' is listed twice; every image must appear exactly once"
                        )
                    }
                    if checkFilesExist {
                        var st = stat()
                        guard FileName.withCString(root + "/" + path, { stat($0, &st) }) == 0 else {
                            throw DatasetError(
                                .missingListedImage,
                                "list file \(file) line \(lineNumber): \(root)/\(FileName.display(path)) does not exist; fix the list or the dataset root"
                            )
                        }
                        guard (st.st_mode & S_IFMT) == S_IFREG else {
                            throw DatasetError(
                                .notARegularFile,
                                "list file \(file) line \(lineNumber): \(root)/\(FileName.display(path)) is \(FileBytes.kind(of: st.st_mode)), not a regular file, and reading it could block; list only image files"
                            )
                        }
                    }
                    paths.append(path)
                    labels.append(label)
                }
            }
        }
        try result.get()
        guard !paths.isEmpty else {
            throw DatasetError(.empty, "list file \(file) lists no images")
        }
        return ImageList(paths: paths, labels: labels)
    }

    /// FNV-1a, 64-bit: a fast hash for duplicate detection (hits are confirmed by comparing paths).
    private static func fnv1a(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in bytes { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return h
    }

    private static let space = UInt8(ascii: " "), tab = UInt8(ascii: "\t"), carriageReturn = UInt8(ascii: "\r")

    /// An optionally signed decimal Int32, or nil.
    static func parseInteger(_ bytes: UnsafeBufferPointer<UInt8>) -> Int32? {
        var i = bytes.startIndex
        var negative = false
        if i < bytes.endIndex, bytes[i] == UInt8(ascii: "-") { negative = true; i += 1 }
        guard i < bytes.endIndex, bytes.endIndex - i <= 10 else { return nil }
        var value: Int64 = 0
        while i < bytes.endIndex {
            let d = bytes[i] &- UInt8(ascii: "0")
            guard d < 10 else { return nil }
            value = value * 10 + Int64(d)
            i += 1
        }
        return Int32(exactly: negative ? -value : value)
    }

    static func readWholeFile(_ path: String) throws(DatasetError) -> [UInt8] {
        do {
            return try FileBytes.read(path)
        } catch {
            throw DatasetError(error.operation == .open ? .missingRoot : .unreadable, "list file: \(error)")
        }
    }
}
