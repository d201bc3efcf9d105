import Foundation

/// Runs the real `tagood` executable (built next to the test bundle) as a child process.
struct TagoodProcess {
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// `$TAGOOD_BIN`, or `tagood` in the build folder that holds this test binary.
    static var executable: String {
        if let path = ProcessInfo.processInfo.environment["TAGOOD_BIN"] { return path }
        let me = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        var dir = me.deletingLastPathComponent()
        // Linux: .build/<triple>/debug/tagoodPackageTests.xctest
        if dir.lastPathComponent.hasSuffix(".xctest") { dir = dir.deletingLastPathComponent() }
        return dir.appendingPathComponent("tagood").path
    }

    /// Runs `tagood args…` to completion.
    static func run(_ args: [String], cwd: String? = nil) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = args
        if let cwd { process.currentDirectoryURL = URL(fileURLWithPath: cwd) }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Read before waiting so a full pipe cannot block the child.
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(status: process.terminationStatus,
                      stdout: String(decoding: stdout, as: UTF8.self),
                      stderr: String(decoding: stderr, as: UTF8.self))
    }
}
