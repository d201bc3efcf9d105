import Foundation

/// Runs the real `tagood` executable (built next to the test bundle) as a child process.
public struct TagoodProcess {
    public struct Result {
        public var status: Int32
        public var stdout: String
        public var stderr: String
    }

    /// `$TAGOOD_BIN`, or `tagood` in the build folder that holds this test binary.
    public static var executable: String { builtExecutable("tagood", override: "TAGOOD_BIN") }

    /// `$TAGOOD_BENCH_BIN`, or `tagood-bench` (the benchmarks) in the build folder that holds this test binary.
    public static var benchExecutable: String { builtExecutable("tagood-bench", override: "TAGOOD_BENCH_BIN") }

    /// `$override`, or `name` in the build folder that holds this test binary.
    private static func builtExecutable(_ name: String, override: String) -> String {
        if let path = ProcessInfo.processInfo.environment[override] { return path }
        let me = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        var dir = me.deletingLastPathComponent()
        // Linux: .build/<triple>/debug/tagoodPackageTests.xctest
        if dir.lastPathComponent.hasSuffix(".xctest") { dir = dir.deletingLastPathComponent() }
        return dir.appendingPathComponent(name).path
    }

    /// Runs `tagood args…` to completion.
    public static func run(_ args: [String], cwd: String? = nil, environment: [String: String] = [:]) throws -> Result {
        try runProgram(executable, args, cwd: cwd, environment: environment)
    }

    /// Runs any program to completion (ssh-keygen, sbatch …).
    public static func runProgram(
        _ program: String, _ args: [String], cwd: String? = nil,
        environment: [String: String] = [:]
    ) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = args
        if let cwd { process.currentDirectoryURL = URL(fileURLWithPath: cwd) }
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        let out = Pipe(), err = Pipe()
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Read before waiting so a full pipe cannot block the child.
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(
            status: process.terminationStatus,
            stdout: String(decoding: stdout, as: UTF8.self),
            stderr: String(decoding: stderr, as: UTF8.self))
    }
}

/// A `tagood` child process running in the background (a coordinator the test will disturb).
public final class BackgroundTagood {
    public let process = Process()
    private let output = Pipe()
    private var collected = Data()

    /// The file stdout and stderr go to, when the test reads them while the process runs.
    public let outputFile: String?

    /// Starts `tagood args…`; stdout and stderr are collected together (in `outputFile` when given).
    public init(
        _ args: [String], cwd: String? = nil, environment: [String: String] = [:], outputFile: String? = nil
    ) throws {
        self.outputFile = outputFile
        process.executableURL = URL(fileURLWithPath: TagoodProcess.executable)
        process.arguments = args
        if let cwd { process.currentDirectoryURL = URL(fileURLWithPath: cwd) }
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        if let outputFile {
            FileManager.default.createFile(atPath: outputFile, contents: nil)
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: outputFile))
            process.standardOutput = handle
            process.standardError = handle
        } else {
            process.standardOutput = output
            process.standardError = output
        }
        try process.run()
    }

    /// What the process printed so far (with `outputFile`).
    public var outputSoFar: String {
        outputFile.flatMap { try? String(contentsOfFile: $0, encoding: .utf8) } ?? ""
    }

    public var pid: Int32 { process.processIdentifier }

    /// Waits for the process to end (at most `seconds`) and returns its exit status and output.
    public func wait(seconds: Double = 120) -> TagoodProcess.Result {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning { process.terminate(); process.waitUntilExit() }
        let text =
            outputFile != nil
            ? outputSoFar : String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        return TagoodProcess.Result(status: process.terminationStatus, stdout: text, stderr: text)
    }
}

extension BackgroundTagood {
    /// A reduce worker that waits `seconds` for a coordinator nobody runs (at an unreachable address),
    /// with a well-formed worker credential in `jobDirectory/keys`: a real tagood process that stays
    /// idle, for tests that look at the process itself (its name, its threads).
    public static func idleReduceWorker(
        jobDirectory: String, seconds: Int = 3,
        environment: [String: String] = [:]
    ) throws -> BackgroundTagood {
        try FileManager.default.createDirectory(atPath: jobDirectory + "/keys", withIntermediateDirectories: true)
        let credential = jobDirectory + "/keys/worker.key"
        try
            "coordinator_public \(String(repeating: "0", count: 40))\npublic \(String(repeating: "1", count: 40))\nsecret \(String(repeating: "2", count: 40))\n"
            .write(toFile: credential, atomically: true, encoding: .utf8)
        chmod(credential, 0o600)
        return try BackgroundTagood(
            [
                "worker", "--reduce", "--connect", "tcp://127.0.0.1:9", "--cores", "inherit",
                "--job", jobDirectory, "--coordinator-timeout", String(seconds)
            ],
            environment: environment)
    }
}
