import Foundation
import Job
import TagoodSupport
import TagoodTestSupport
import Testing

@testable import Cluster
@testable import Launch

/// The same job through each launcher, against the real thing: `ssh` through a real sshd on 127.0.0.1,
/// `none` with workers started by hand from the printed command line, and `slurm` (SlurmLauncherTests).
@Suite(.serialized) struct LauncherTests {
    /// A cluster file with two workers on `sshd`'s hosts node-1 and node-2 (one core each), plus `extra` lines.
    static func sshCluster(_ sshd: LocalSSHD, extra: String = "") -> String {
        let cores = CoreSet.available()
        return """
            coordinator: {bind: 127.0.0.1, port: 0}
            launcher: ssh
            ssh: {options: ["-F", "\(sshd.clientConfig)"]}
            heartbeat_seconds: 0.25
            liveness: 4
            \(extra)workers:
              - {host: node-1, cores: "\(cores[0])", threads: 1}
              - {host: node-2, cores: "\(cores[cores.count > 1 ? 1 : 0])", threads: 1}
            """
    }

    @Test func theJobCompletesExactlyOnceOverSSHEvenWhenASessionIsKilled() throws {
        let sshd = try LocalSSHD(hosts: 2)
        let job = try ClusterFixture(images: 16)
        try Self.sshCluster(sshd, extra: "max_attempts: 5\nshutdown_grace_seconds: 5\n")
            .write(toFile: job.root + "/cluster.yaml", atomically: true, encoding: .utf8)
        let run = try job.launchInBackground(failpoints: "delay-per-image-ms=100")
        // Kill one ssh session mid-job: its remote worker gets SIGHUP, the launcher starts another.
        let assigned = try #require(try job.waitForRecord { $0.event == .assigned })
        let sessions = try TagoodProcess.runProgram("/usr/bin/pgrep", ["-f", "ssh -F \(sshd.clientConfig)"])
        let first = try #require(
            sessions.stdout.split(separator: "\n").first.flatMap { Int32($0) }, "no ssh session: \(sessions.stdout)")
        kill(first, SIGKILL)
        let result = run.wait()
        #expect(result.status == 0, "\(result.stdout)")
        #expect(result.stdout.contains("workers over ssh on node-1, node-2"), "\(result.stdout)")
        #expect(result.stdout.contains("restarted worker"), "the dead session was replaced: \(result.stdout)")
        _ = assigned
        try job.expectExactlyOnce()
        let hosts = Set(try job.journal().compactMap { $0.event == .committed ? $0.worker : nil })
        #expect(!hosts.isEmpty)
    }

    @Test func theDemoJobCompletesExactlyOnceOverSSH() throws {
        let sshd = try LocalSSHD(hosts: 2)
        let dir = try TemporaryDirectory(prefix: "tagood-demo-ssh")
        try Self.sshCluster(sshd).write(toFile: dir.path + "/cluster.yaml", atomically: true, encoding: .utf8)
        let result = try TagoodProcess.run(["demo", "--out", dir.path, "--cluster", dir.path + "/cluster.yaml"])
        #expect(result.status == 0, "\(result.stdout)\n\(result.stderr)")
        #expect(result.stdout.contains("workers over ssh on node-1, node-2"), "\(result.stdout)")
        #expect(result.stdout.contains("all 22 shards committed and verified"), "\(result.stdout)")
        try ClusterFixture.expectExactlyOnce(JobDirectory(dir.path + "/demo"))
    }

    @Test func launcherNonePrintsTheWorkerCommandAndWaitsForHandStartedWorkers() throws {
        let job = try ClusterFixture(images: 8)
        let cores = CoreSet.available()
        try """
        coordinator: {bind: 127.0.0.1, port: 0}
        launcher: none
        heartbeat_seconds: 0.25
        workers:
          - {host: anywhere, cores: "\(cores[0])", threads: 1}
        """.write(toFile: job.root + "/cluster.yaml", atomically: true, encoding: .utf8)
        let output = job.root + "/launch.out"
        let run = try BackgroundTagood(
            ["launch", "job.yaml", "--cluster", "cluster.yaml"], cwd: job.root, outputFile: output)
        var line: String?
        let deadline = Date().addingTimeInterval(30)
        while line == nil && Date() < deadline {
            line = run.outputSoFar.split(separator: "\n").first { $0.contains("[anywhere]") }.map {
                String($0.split(separator: "]", maxSplits: 1)[1].dropFirst())
            }
            usleep(50_000)
        }
        let command = try #require(line, "no worker command printed: \(run.outputSoFar)")
        #expect(
            command.contains(" worker --connect tcp://127.0.0.1:")
                && command.contains("--job \(job.jobDirectory.path)"), "\(command)")
        // Start it exactly as printed, through a shell.
        let worker = try TagoodProcess.runProgram("/bin/sh", ["-c", command])
        #expect(worker.status == 0, "\(worker.stdout)\(worker.stderr)")
        let result = run.wait()
        #expect(result.status == 0, "\(result.stdout)")
        try job.expectExactlyOnce()
    }
}
