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
        for rawLine in text.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            lineNumber += 1
            var line = Substring(decoding: rawLine, as: UTF8.self)
            if line.hasSuffix("\r") { line = line.dropLast() }
            let trimmed = line.drop(while: { $0 == " " || $0 == "\t" })
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            var path = String(trimmed)
            var label: Int32 = -1
            if let split = trimmed.lastIndex(where: { $0 == " " || $0 == "\t" }),
               let value = Int32(trimmed[trimmed.index(after: split)...]) {
                label = value
                path = String(trimmed[..<split]).trimmingTrailingBlanks()
            }
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

    static func readWholeFile(_ path: String) throws(DatasetError) -> [UInt8] {
        do {
            return try FileBytes.read(path)
        } catch {
            throw DatasetError(error.operation == .open ? .missingRoot : .unreadable, "list file: \(error)")
        }
    }
}

extension String {
    fileprivate func trimmingTrailingBlanks() -> String {
        var s = Substring(self)
        while s.last == " " || s.last == "\t" { s = s.dropLast() }
        return String(s)
    }
}
