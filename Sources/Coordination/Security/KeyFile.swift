import TagoodSupport
import Transport

#if canImport(Glibc)
import Glibc
#endif

/// The text format of tagood's key files: `#` comments, then one `name value` line per key, every
/// value a 40-character Z85 key. Files are written 0600 (atomically) and refused when others can read them.
enum KeyFile {
    /// Writes `entries` under a comment, mode 0600.
    static func write(_ entries: [(String, String)], comment: String, to path: String) throws(CredentialError) {
        let text =
            comment.split(separator: "\n").map { "# \($0)\n" }.joined() + entries.map { "\($0.0) \($0.1)\n" }.joined()
        do {
            try AtomicFile.write(text, to: path, mode: 0o600)
        } catch {
            throw CredentialError(.write, "cannot write \(path): \(error)", subject: path)
        }
    }

    /// Reads the `name value` lines of `path`, refusing a file that its group or others can read.
    static func read(path: String, what: String) throws(CredentialError) -> [String: String] {
        var info = stat()
        guard FileName.withCString(path, { stat($0, &info) }) == 0 else {
            let e = errno
            throw CredentialError(
                e == ENOENT ? .missing : .unreadable, "\(what) \(path): \(String(cString: strerror(e)))", subject: path)
        }
        guard info.st_mode & 0o077 == 0 else {
            throw CredentialError(
                .exposed, "\(what) \(path) can be read by other users (mode \(String(info.st_mode & 0o777, radix: 8)))",
                subject: path,
                remedy: "run `chmod 600 \(path)`, or delete the job's keys/ folder and `tagood resume` to make new ones"
            )
        }
        let bytes: [UInt8]
        do {
            bytes = try FileBytes.read(path)
        } catch {
            throw CredentialError(.unreadable, "cannot read \(what) \(path): \(error)", subject: path)
        }
        var entries: [String: String] = [:]
        for (number, line) in String(decoding: bytes, as: UTF8.self).split(
            separator: "\n", omittingEmptySubsequences: false
        ).enumerated() {
            let text = line.trimmingWhitespace
            if text.isEmpty || text.hasPrefix("#") { continue }
            let parts = text.split(separator: " ", omittingEmptySubsequences: true)
            guard parts.count == 2, CurveKeyPair.decode(String(parts[1])) != nil else {
                throw CredentialError(
                    .malformed, "\(what) \(path), line \(number + 1): expected `name <40-character Z85 key>`",
                    subject: path, remedy: "delete the job's keys/ folder and `tagood resume` to make new keys")
            }
            entries[String(parts[0])] = String(parts[1])
        }
        return entries
    }

    /// The entry `name` of a file read by ``read(path:what:)``.
    static func entry(
        _ entries: [String: String], _ name: String, path: String, what: String
    ) throws(CredentialError) -> String {
        guard let value = entries[name] else {
            throw CredentialError(
                .malformed, "\(what) \(path) has no `\(name)` line", subject: path,
                remedy: "delete the job's keys/ folder and `tagood resume` to make new keys")
        }
        return value
    }
}

extension Substring {
    var trimmingWhitespace: Substring {
        var s = self
        while let c = s.first, c == " " || c == "\t" || c == "\r" { s.removeFirst() }
        while let c = s.last, c == " " || c == "\t" || c == "\r" { s.removeLast() }
        return s
    }
}
