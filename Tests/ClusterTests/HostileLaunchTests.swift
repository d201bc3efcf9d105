import Foundation
import Job
import TagoodSupport
import TagoodTestSupport
import Testing

@testable import Cluster
@testable import Launch

/// Issue 25, items 5 and 9: workers that die at start are restarted with a back-off, and a run whose
/// workers all keep dying ends with their log instead of waiting forever; every value of cluster.yaml
/// that goes into a generated script or command line is checked or quoted.
@Suite(.serialized) struct HostileLaunchTests {
    /// A cluster file with one local worker, plus `extra` lines.
    static func oneWorker(_ job: ClusterFixture, extra: String = "") throws {
        try """
        coordinator: {bind: 127.0.0.1, port: 0}
        heartbeat_seconds: 0.25
        liveness: 4
        shutdown_grace_seconds: 5
        \(extra)workers:
          - {cores: "\(CoreSet.available()[0])", threads: 1}
        """.write(toFile: job.root + "/cluster.yaml", atomically: true, encoding: .utf8)
    }

    @Test func aWorkerThatCannotStartEndsTheLaunchWithItsLog() throws {
        let job = try ClusterFixture(images: 4)
        let variable = "TAGOOD_TEST_UNSET_CREDENTIAL_\(getpid())"
        try Self.oneWorker(job, extra: "worker_credential: {env: \(variable)}\n")
        // The deadline is only a safety net: before the fix, this launch waited forever.
        let result = try job.launchInBackground().wait(seconds: 300)
        let output = result.stdout + result.stderr
        #expect(result.status == 1, "\(output)")
        #expect(output.contains("every worker died within"), "\(output)")
        #expect(
            output.contains("the environment has no variable \(variable)"), "the worker's log is quoted: \(output)")
        #expect(output.contains("tagood resume"), "it says what to do: \(output)")
        #expect(output.contains("restarting worker 0 in"), "it was restarted with a back-off first: \(output)")
    }

    @Test func aWorkerThatDiesAtOnceOnlyOnceIsRestartedAndTheJobCompletes() throws {
        let job = try ClusterFixture(images: 4)
        try Self.oneWorker(job)
        let marker = job.root + "/worker-exited"
        let result = try job.launchInBackground(failpoints: "worker-exit-once=\(marker)").wait(seconds: 300)
        #expect(result.status == 0, "\(result.stdout)\n\(result.stderr)")
        #expect(FileManager.default.fileExists(atPath: marker), "the first worker exited at start")
        #expect(result.stdout.contains("restarted worker 0"), "\(result.stdout)")
        try job.expectExactlyOnce()
    }

    @Test func anSSHSessionThatFailsAtOnceOnlyOnceIsRestartedAndTheJobCompletes() throws {
        // An ssh client that cannot connect the first time (it exits 255 within milliseconds, as ssh does
        // on a refused connection) and later runs the session's command line here: before the fix, a
        // worker that died within 0.2 s of its start was never restarted and the launch waited forever.
        let job = try ClusterFixture(images: 4)
        let marker = job.root + "/ssh-failed"
        let ssh = job.root + "/fake-ssh"
        try """
        #!/bin/sh
        if [ ! -e '\(marker)' ]; then
            : > '\(marker)'
            echo "ssh: connect to host node-1 port 22: Connection refused" >&2
            exit 255
        fi
        for last; do :; done
        exec /bin/sh -c "$last"
        """.write(toFile: ssh, atomically: true, encoding: .utf8)
        chmod(ssh, 0o755)
        try """
        coordinator: {bind: 127.0.0.1, port: 0}
        launcher: ssh
        ssh: {command: "\(ssh)"}
        heartbeat_seconds: 0.25
        liveness: 4
        shutdown_grace_seconds: 5
        workers:
          - {host: node-1, cores: "\(CoreSet.available()[0])", threads: 1}
        """.write(toFile: job.root + "/cluster.yaml", atomically: true, encoding: .utf8)
        // The deadline is only a safety net: before the fix, this launch waited forever.
        let result = try job.launchInBackground().wait(seconds: 300)
        #expect(result.status == 0, "\(result.stdout)\n\(result.stderr)")
        #expect(FileManager.default.fileExists(atPath: marker), "the first session failed")
        #expect(result.stdout.contains("restarted worker 0"), "\(result.stdout)")
        try job.expectExactlyOnce()
    }

    @Test func sshGetsTheHostAfterDoubleDash() throws {
        let spec = try ClusterSpec.parse(
            "launcher: ssh\nworkers:\n  - {host: node-1, cores: \"0\"}\n", file: "cluster.yaml")
        let launch = WorkerLaunch(
            endpoint: "tcp://127.0.0.1:5555", directory: JobDirectory("/tmp/job"), executable: "/usr/bin/tagood",
            extraArguments: [], environment: [:], maxRestarts: 1)
        let launcher = ProcessLauncher(cluster: spec, launch: launch, remote: spec.ssh)
        let command = launcher.command(for: 0)
        let host = try #require(command.arguments.firstIndex(of: "node-1"))
        #expect(host > 0 && command.arguments[host - 1] == "--", "\(command.arguments)")
    }

    static func slurmLauncher(directory: String) throws -> SlurmLauncher {
        let spec = try ClusterSpec.parse(
            "launcher: slurm\nslurm: {tasks: 2, partition: \"gpu,cpu\", account: proj_1, time: \"1-12:00:00\"}\n",
            file: "cluster.yaml")
        let launch = WorkerLaunch(
            endpoint: "tcp://127.0.0.1:5555", directory: JobDirectory(directory), executable: "/usr/bin/tagood",
            extraArguments: [], environment: [:], maxRestarts: 1)
        return SlurmLauncher(cluster: spec, launch: launch)
    }

    @Test func theBatchScriptQuotesAJobDirectoryWithSpacesQuotesAndPercents() throws {
        let script = try Self.slurmLauncher(directory: "/data/my jobs/a\"b\\c #1 50%/job").script(tasks: 2)
        let lines = script.split(separator: "\n").map(String.init)
        #expect(
            lines.contains(#"#SBATCH --output="/data/my jobs/a\"b\\c #1 50%%/job/logs/slurm-%A_%a.log""#), "\(script)")
        #expect(lines.contains("#SBATCH --partition=gpu,cpu"), "\(script)")
        #expect(lines.contains("#SBATCH --account=proj_1"), "\(script)")
        #expect(lines.contains("#SBATCH --time=1-12:00:00"), "\(script)")
        #expect(lines.last?.contains(#"--job '/data/my jobs/a"b\c #1 50%/job'"#) == true, "\(script)")
        #expect(lines.filter { !$0.hasPrefix("#") }.count == 1, "one command line and nothing else: \(script)")
    }

    @Test func aJobDirectoryWithANewlineIsNoSlurmScript() throws {
        let launcher = try Self.slurmLauncher(directory: "/data/x\nsrun rm -rf ~/job")
        #expect(throws: ClusterError.self) { _ = try launcher.script(tasks: 1) }
        do { _ = try launcher.script(tasks: 1) } catch { #expect("\(error)".contains("control character")) }
    }

    @Test func valuesThatWouldReachAScriptOrCommandLineUnsafelyAreRefused() {
        func failure(_ text: String) -> String {
            do { _ = try ClusterSpec.parse(text, file: "cluster.yaml"); return "no error" } catch {
                return error.description
            }
        }
        let ssh = "launcher: ssh\nworkers:\n"
        #expect(
            failure(ssh + "  - {host: \"-oProxyCommand=touch\", cores: \"0\"}\n").contains(
                "cluster.yaml:3: workers[0].host: must not start with '-': ssh would read the host as an option"))
        #expect(
            failure(ssh + "  - {host: \"node 1\", cores: \"0\"}\n").contains(
                "workers[0].host: must be one word without spaces"))
        #expect(
            failure(ssh + "  - {host: \"node\\n1\", cores: \"0\"}\n").contains(
                "workers[0].host: must be one line without control characters"))
        let slurm = "launcher: slurm\nslurm:\n  tasks: 1\n"
        #expect(
            failure(slurm + "  partition: \"p --comment=x\"\n").contains(
                "cluster.yaml:4: slurm.partition: 'p --comment=x' is not a Slurm name"))
        #expect(failure(slurm + "  partition: \"-p\"\n").contains("slurm.partition: '-p' is not a Slurm name"))
        #expect(failure(slurm + "  partition: \"a,,b\"\n").contains("slurm.partition: 'a,,b' is not a Slurm name"))
        #expect(failure(slurm + "  account: \"a\\nsrun x\"\n").contains("slurm.account: must be one line"))
        #expect(failure(slurm + "  account: \"a#b\"\n").contains("slurm.account: 'a#b' is not a Slurm name"))
        #expect(failure(slurm + "  time: \"1:00 --x\"\n").contains("slurm.time: '1:00 --x' is not a Slurm time limit"))
        #expect(failure(slurm + "  extra: [\"--mem=1G\\necho hi\"]\n").contains("slurm.extra[0]: must be one line"))
        #expect(failure(slurm + "  tagood: \"-x\"\n").contains("slurm.tagood: must not start with '-'"))
        #expect(failure(slurm + "  tagood: \"/bin/t\\nx\"\n").contains("slurm.tagood: must be one line"))
        let local = "workers:\n  - {cores: \"0\"}\n"
        #expect(
            failure(local + "worker_credential: {env: \"A-B\"}\n").contains(
                "worker_credential.env: 'A-B' is not an environment variable's name"))
        #expect(
            failure(local + "worker_credential: {file: \"-x\"}\n").contains(
                "worker_credential.file: must not start with '-'"))
        #expect(failure(local + "coordinator: {advertise: \"-x\"}\n").contains("coordinator.advertise: must not start"))
        #expect(failure(local + "coordinator: {bind: \"a b\"}\n").contains("coordinator.bind: must be one word"))
        #expect(failure(local + "ssh: {tagood: \"/x\\ny\"}\n").contains("ssh.tagood: must be one line"))
        #expect(failure(local + "ssh: {options: [\"-F\", \"a\\rb\"]}\n").contains("ssh.options[1]: must be one line"))
        #expect(failure(local + "ssh: {command: \"-x\"}\n").contains("ssh.command: must not start with '-'"))
    }

    @Test func safeValuesAreStillRead() throws {
        let spec = try ClusterSpec.parse(
            """
            launcher: ssh
            worker_credential: {env: TAGOOD_KEY_1}
            ssh: {options: ["-F", "/home/me/ssh config"], tagood: "/opt/tagood 1/bin/tagood"}
            workers:
              - {host: user@node-1.example.org, cores: "0"}
              - {host: "::1", cores: "0"}
            """, file: "cluster.yaml")
        #expect(spec.workers.map(\.host) == ["user@node-1.example.org", "::1"])
        #expect(spec.workerCredential == .environment("TAGOOD_KEY_1"))
        let slurm = try ClusterSpec.parse(
            "launcher: slurm\nslurm: {tasks: 1, partition: gpu_a100.x, time: UNLIMITED, extra: [\"--mem=32G\"]}\n",
            file: "cluster.yaml")
        #expect(slurm.slurm?.partition == "gpu_a100.x" && slurm.slurm?.time == "UNLIMITED")
    }
}
