import Foundation

/// Makes real tars for the tar-layout tests, with the two writers users' tars come from: Python's
/// `tarfile` (`tools/make_tar_fixtures.py`) and GNU `tar`.
public enum TarMaker {
    /// A tar writer and header format.
    public enum Writer: String, CaseIterable, Sendable, CustomStringConvertible {
        case pythonGNU = "python-gnu", pythonPax = "python-pax", pythonUstar = "python-ustar"
        case gnuTarGNU = "gnutar-gnu", gnuTarPax = "gnutar-pax", gnuTarUstar = "gnutar-ustar"

        public var description: String { rawValue }
        /// The header format (`gnu`, `pax`, `ustar`).
        public var format: String { String(rawValue.split(separator: "-")[1]) }
        public var isPython: Bool { rawValue.hasPrefix("python") }
    }

    /// The repository's `tools/make_tar_fixtures.py`.
    public static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("tools/make_tar_fixtures.py")
        .path

    /// Packs `members` (paths relative to `base`, in this order) into `out`. A member `NAME.tar=FOLDER`
    /// is an inner tar of FOLDER's files (GNU tar: `tar -C FOLDER -cf NAME.tar .`, so its members start
    /// with `./`); `NAME@=TEXT` is a member holding TEXT (Python only).
    public static func pack(_ out: String, writer: Writer, base: String, members: [String]) throws {
        try FileManager.default.createDirectory(
            atPath: (out as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        if writer.isPython {
            try run("/usr/bin/env", ["python3", script, out, "--format", writer.format, "--base", base] + members)
            return
        }
        let scratch = out + ".inner"
        var names: [String] = []
        for member in members {
            if let eq = member.firstIndex(of: "="), !member.contains("@=") {
                let name = String(member[..<eq]), folder = String(member[member.index(after: eq)...])
                try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
                try gnuTar(
                    ["-cf", scratch + "/" + name, "-C", base + "/" + folder, "."], writer: writer, recursive: true)
                names.append(name)
            } else {
                names.append(member)
            }
        }
        // Inner tars are taken from the scratch folder, the rest from base, in the order given.
        var arguments = ["-cf", out]
        for name in names {
            let inScratch = FileManager.default.fileExists(atPath: scratch + "/" + name)
            arguments += ["-C", inScratch ? scratch : base, name]
        }
        try gnuTar(arguments, writer: writer, recursive: false)
        try? FileManager.default.removeItem(atPath: scratch)
    }

    private static func gnuTar(_ arguments: [String], writer: Writer, recursive: Bool) throws {
        let options = ["tar", "--format=\(writer.format)", "--sort=name"] + (recursive ? [] : ["--no-recursion"])
        try run("/usr/bin/env", options + arguments)
    }

    /// Runs a program; throws with its output when it fails.
    public static func run(_ program: String, _ args: [String]) throws {
        let result = try TagoodProcess.runProgram(program, args)
        guard result.status == 0 else {
            throw CocoaError(
                .fileWriteUnknown,
                userInfo: [NSLocalizedDescriptionKey: "\(args.joined(separator: " ")): \(result.stderr)"])
        }
    }

    /// Writes `bytes` at `path`, making its folders.
    public static func write(_ bytes: [UInt8], to path: String) throws {
        try FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }
}
