#if canImport(Glibc)
import Glibc
#endif

/// Small, allocation-light helpers on `/`-separated path strings (no Foundation on hot paths).
public enum Path {
    /// The directory part of `path` (`"."` when there is none).
    public static func directory(of path: String) -> String {
        guard let slash = path.utf8.lastIndex(of: UInt8(ascii: "/")) else { return "." }
        if slash == path.utf8.startIndex { return "/" }
        return String(path[..<slash])
    }

    /// The last component of `path`.
    public static func basename(of path: String) -> String {
        guard let slash = path.utf8.lastIndex(of: UInt8(ascii: "/")) else { return path }
        return String(path[path.utf8.index(after: slash)...])
    }

    /// `a/b`, without doubling a slash.
    public static func join(_ a: String, _ b: String) -> String {
        if a.isEmpty { return b }
        if b.hasPrefix("/") { return b }
        return a.hasSuffix("/") ? a + b : a + "/" + b
    }

    /// `path` with `.` and `..` components and repeated slashes removed (lexically, without touching
    /// the file system): `/a/jobs/../out` → `/a/out`.
    public static func normalize(_ path: String) -> String {
        var parts: [Substring] = []
        for component in path.split(separator: "/", omittingEmptySubsequences: true) {
            if component == "." { continue }
            if component == "..", let last = parts.last, last != ".." { parts.removeLast(); continue }
            if component == ".." && path.hasPrefix("/") { continue }
            parts.append(component)
        }
        let joined = parts.joined(separator: "/")
        return path.hasPrefix("/") ? "/" + joined : (joined.isEmpty ? "." : joined)
    }

    /// `path` made absolute against the current directory, then normalised.
    public static func absolute(_ path: String) -> String {
        if path.hasPrefix("/") { return normalize(path) }
        var cwd = [CChar](repeating: 0, count: 4096)
        guard getcwd(&cwd, cwd.count) != nil else { return normalize(path) }
        return normalize(join(String(cString: cwd), path))
    }
}
