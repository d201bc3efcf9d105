#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import TagoodSupport

/// Reads an explicit image list, as the MOS and ViM benchmarks ship them.
///
/// Format: one image per line, its path relative to the dataset root, optionally followed by whitespace
/// and an integer label (`-1` for OOD images). Blank lines and lines starting with `#` are ignored. A
/// path may contain spaces; only a trailing integer is taken as the label. The list's order is kept.
public enum ListFileReader {
    /// Reads `file`, resolving paths against `root`.
    ///
    /// - Parameter checkFilesExist: stat every listed image, so a typo fails the plan instead of
    ///   becoming a per-image error hours later.
    public static func read(file: String, root: String, checkFilesExist: Bool = true) throws(DatasetError) -> ImageList {
        let text = try readWholeFile(file)
        var paths: [String] = []
        var labels: [Int32] = []
        var seen = Set<String>()
        var lineNumber = 0
        var lineStart = 0
        while lineStart < text.count {
            let newline = text[lineStart...].firstIndex(of: UInt8(ascii: "\n")) ?? text.count
            defer { lineStart = newline + 1 }
            lineNumber += 1
            // Work on bytes: Character-level String operations are far too slow for 1.3M lines.
            var lo = lineStart, hi = newline
            while lo < hi, text[lo] == space || text[lo] == tab { lo += 1 }
            while hi > lo, text[hi - 1] == space || text[hi - 1] == tab || text[hi - 1] == carriageReturn { hi -= 1 }
            if lo == hi || text[lo] == UInt8(ascii: "#") { continue }
            var pathEnd = hi
            var label: Int32 = -1
            if let split = text[lo..<hi].lastIndex(where: { $0 == space || $0 == tab }),
               let value = parseInteger(text[(split + 1)..<hi]) {
                label = value
                pathEnd = split
                while pathEnd > lo, text[pathEnd - 1] == space || text[pathEnd - 1] == tab { pathEnd -= 1 }
            }
            let path = String(decoding: text[lo..<pathEnd], as: UTF8.self)
            guard !path.hasPrefix("/") else {
                throw DatasetError(.badListLine, "list file \(file) line \(lineNumber): '\(path)' is absolute; list paths must be relative to the dataset root \(root)")
            }
            guard ImageList.hasImageExtension(path) else {
                throw DatasetError(.badListLine, "list file \(file) line \(lineNumber): '\(path)' is not a .jpg, .jpeg or .png path")
            }
            guard seen.insert(path).inserted else {
                throw DatasetError(.duplicateImage, "list file \(file) line \(lineNumber): '\(path)' is listed twice; every image must appear exactly once")
            }
            if checkFilesExist {
                var st = stat()
                guard stat(root + "/" + path, &st) == 0 else {
                    throw DatasetError(.missingListedImage, "list file \(file) line \(lineNumber): \(root)/\(path) does not exist; fix the list or the dataset root")
                }
            }
            paths.append(path)
            labels.append(label)
        }
        guard !paths.isEmpty else {
            throw DatasetError(.empty, "list file \(file) lists no images")
        }
        return ImageList(paths: paths, labels: labels)
    }

    private static let space = UInt8(ascii: " "), tab = UInt8(ascii: "\t"), carriageReturn = UInt8(ascii: "\r")

    /// An optionally signed decimal Int32, or nil.
    static func parseInteger(_ bytes: ArraySlice<UInt8>) -> Int32? {
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

