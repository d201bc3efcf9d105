import Foundation
import Job
import Logging
import TagoodSupport

/// `launcher: slurm`: Slurm places the workers. The coordinator submits them as one `sbatch` job array
/// (one array task per worker, `slurm:` of cluster.yaml gives the partition, account, time limit, CPUs
/// and GPUs per task and extra `#SBATCH` lines); each task runs `tagood worker --cores inherit`, pinned to
/// the CPUs Slurm gave it, and with `gpus_per_task` also `--gpu inherit`: RAM on the GPU its gres set.
///
/// Tasks that Slurm ends (preemption, time limit, node failure, `scancel`) are noticed by their missed
/// heartbeats (the coordinator re-queues their shards) and by `squeue`, where it answers: while work
/// remains, the launcher submits replacement tasks, up to `slurm.max_replacements` in all. At the end, and
/// on Ctrl-C, it `scancel`s every job it submitted. The job ids are in `<job>/slurm/jobs` (for `status`).
public final class SlurmLauncher: WorkerLauncher {
    private let cluster: ClusterSpec
    private let settings: ClusterSpec.Slurm
    private let launch: WorkerLaunch
    private let logger: Logger
    /// Submitted Slurm job ids, in order.
    public var jobs: [String] { submitted.value }
    private let submitted = Locked<[String]>([])
    private var replacements = 0
    /// The latest `squeue` count of our live tasks, with the submission count it saw (nil: no answer yet).
    /// A thread of its own polls it, so a slow `squeue` never stalls the coordinator's loop (which would
    /// expire healthy leases).
    private let polled = Locked<(active: Int, jobs: Int)?>(nil)
    private let polling = Locked<Bool>(true)
    private var poller: Thread?

    public init(
        cluster: ClusterSpec, launch: WorkerLaunch,
        logger: Logger = Logger(label: "tagood.launch", factory: { _ in SwiftLogNoOpLogHandler() })
    ) {
        self.cluster = cluster
        self.settings = cluster.slurm!
        self.launch = launch
        self.logger = logger
    }

    public var summary: String {
        "submitted Slurm job \(jobs.joined(separator: ", ")) (\(settings.tasks) worker tasks\(settings.partition.map { " on partition \($0)" } ?? ""))"
    }

    /// The folder of the batch scripts and the job id list.
    var folder: String { launch.directory.slurmFolder }

    public func startAll() throws {
        try FileSystem.makeDirectories(folder)
        try submit(tasks: settings.tasks)
        let thread = Thread { [submitted, polled, polling] in
            while polling.value {
                let ids = submitted.value
                if let active = Self.activeTasks(of: ids) { polled.withLock { $0 = (active, ids.count) } }
                for _ in 0..<20 where polling.value { usleep(100_000) }
            }
        }
        thread.name = "tagood-squeue"
        thread.start()
        poller = thread
    }

    deinit { polling.withLock { $0 = false } }

    /// The batch script of an array of `tasks` worker tasks. Values in `#SBATCH` lines are quoted for
    /// sbatch (``sbatchWord(_:)``; cluster.yaml's names were checked when it was read), the command line
    /// for the shell; a job directory whose path has a control character (a newline would be a line of
    /// its own in the script) is refused.
    func script(tasks: Int) throws(ClusterError) -> String {
        let path = launch.directory.path
        guard !path.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else {
            throw ClusterError(
                .launch,
                "the job directory's path has a control character (such as a newline), which a Slurm batch script cannot hold",
                subject: path, remedy: "give the job an output folder whose path is one line")
        }
        // `%` is a pattern character in sbatch's --output: `%%` is a literal one.
        let output = launch.directory.logsFolder.replacingOccurrences(of: "%", with: "%%") + "/slurm-%A_%a.log"
        var lines = [
            "#!/bin/sh", "#SBATCH --job-name=\(Self.sbatchWord("tagood-" + Path.basename(of: path)))",
            "#SBATCH --array=0-\(tasks - 1)", "#SBATCH --ntasks=1", "#SBATCH --cpus-per-task=\(settings.cpusPerTask)",
            "#SBATCH --output=\(Self.sbatchWord(output))"
        ]
        if settings.gpusPerTask > 0 { lines.append("#SBATCH --gres=gpu:\(settings.gpusPerTask)") }
        if let partition = settings.partition { lines.append("#SBATCH --partition=\(Self.sbatchWord(partition))") }
        if let account = settings.account { lines.append("#SBATCH --account=\(Self.sbatchWord(account))") }
        if let time = settings.time { lines.append("#SBATCH --time=\(Self.sbatchWord(time))") }
        lines += settings.extra.map { "#SBATCH \($0)" }
        lines.append(
            launch.shellCommand(tagood: settings.tagood ?? launch.executable, worker: nil, cluster: cluster, exec: true)
        )
        return lines.joined(separator: "\n") + "\n"
    }

    private func submit(tasks: Int) throws {
        let path = launch.directory.slurmBatchFile(jobs.count + 1)
        try AtomicFile.write(try script(tasks: tasks), to: path, mode: 0o700)
        let result = try Self.run("sbatch", ["--parsable", path])
        guard result.status == 0,
            let id = result.output.split(whereSeparator: { $0 == ";" || $0 == "\n" }).first.map(String.init),
            !id.isEmpty, id.allSatisfy(\.isNumber)
        else {
            throw ClusterError(
                .launch,
                "sbatch \(path) failed (exit \(result.status)): \(result.output.trimmingCharacters(in: .whitespacesAndNewlines))"
                    + "; check slurm: in \(cluster.file) (partition, account, time) and that `sbatch` works on this host"
            )
        }
        let all = submitted.withLock { list -> [String] in
            list.append(id); return list
        }
        try AtomicFile.write(all.joined(separator: "\n") + "\n", to: launch.directory.slurmJobsFile)
        logger.info("submitted Slurm job \(id): \(tasks) worker task\(tasks == 1 ? "" : "s") (script \(path))")
    }

    /// The array tasks of `jobs` that Slurm still has (pending or running), or nil when `squeue` does not answer.
    static func activeTasks(of jobs: [String]) -> Int? {
        guard !jobs.isEmpty,
            let result = try? run("squeue", ["-h", "-r", "-o", "%i %T", "-j", jobs.joined(separator: ",")]),
            result.status == 0
        else { return nil }
        let live: Set<String> = ["PENDING", "RUNNING", "CONFIGURING", "COMPLETING", "SUSPENDED", "REQUEUED", "RESIZING"]
        return result.output.split(separator: "\n").filter { line in
            line.split(separator: " ").last.map { live.contains(String($0)) } ?? false
        }.count
    }

    public func maintain(needWorkers: Bool) {
        // Only a count that saw every submission so far, and then once: the next one must be fresh.
        guard needWorkers, let seen = polled.value, seen.jobs == jobs.count else { return }
        polled.withLock { $0 = nil }
        let active = seen.active
        guard active < settings.tasks else { return }
        let missing = min(settings.tasks - active, settings.maxReplacements - replacements)
        guard missing > 0 else {
            if replacements >= settings.maxReplacements && active == 0 {
                logger.warning(
                    "every Slurm worker task has ended and the \(settings.maxReplacements) replacements are used; the job waits for workers"
                )
            }
            return
        }
        replacements += missing
        logger.warning(
            "Slurm ended \(settings.tasks - active) worker task(s) (preempted, out of time, node failure or scancel); submitting \(missing) replacement(s)"
        )
        do { try submit(tasks: missing) } catch { logger.warning("cannot submit replacements: \(error)") }
    }

    public func stopAll(graceSeconds: Double) {
        polling.withLock { $0 = false }
        let deadline = Date().addingTimeInterval(graceSeconds)
        while Date() < deadline, let active = Self.activeTasks(of: jobs), active > 0 { usleep(200_000) }
        guard !jobs.isEmpty else { return }
        if let result = try? Self.run("scancel", jobs), result.status != 0 {
            logger.warning("scancel \(jobs.joined(separator: " ")) failed: \(result.output)")
        }
    }

    /// `slurm: job 123 (2 tasks: 1 RUNNING, 1 PENDING)` for `tagood status`, from `<job>/slurm/jobs` and
    /// `squeue`; nil when the job never used Slurm.
    public static func status(of directory: JobDirectory) -> String? {
        guard let bytes = try? FileBytes.read(directory.slurmJobsFile) else { return nil }
        let jobs = String(decoding: bytes, as: UTF8.self).split(separator: "\n").map(String.init)
        guard !jobs.isEmpty else { return nil }
        let label = "slurm: job\(jobs.count == 1 ? "" : "s") \(jobs.joined(separator: ", "))"
        guard let result = try? run("squeue", ["-h", "-r", "-o", "%T", "-j", jobs.joined(separator: ",")]),
            result.status == 0
        else {
            return label + " (squeue does not answer here)"
        }
        var counts: [String: Int] = [:]
        for state in result.output.split(separator: "\n") { counts[String(state), default: 0] += 1 }
        guard !counts.isEmpty else { return label + " (no task left in the queue)" }
        let total = counts.values.reduce(0, +)
        return label + " (\(total) task\(total == 1 ? "" : "s"): "
            + counts.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ") + ")"
    }

    /// `word` as one argument of an `#SBATCH` line: unchanged when made of safe characters, else in double
    /// quotes with `\\` before `"` and `\\` (sbatch splits those lines at spaces, reads quotes and
    /// backslashes, and ends them at an unquoted `#`). `word` must be one line.
    static func sbatchWord(_ word: String) -> String {
        let safe = word.utf8.allSatisfy { b in
            (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A)
                || "-_./:=,@%+".utf8.contains(b)
        }
        if safe && !word.isEmpty { return word }
        return "\"" + word.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            + "\""
    }

    /// Runs a Slurm command (found on PATH) to completion; its exit status and stdout + stderr.
    static func run(_ command: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [command] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        process.standardInput = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            throw ClusterError(.launch, "cannot run \(command): \(error) (is Slurm's client installed on this host?)")
        }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}
