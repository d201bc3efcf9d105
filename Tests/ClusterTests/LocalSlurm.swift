import Foundation
import TagoodSupport
import TagoodTestSupport

@testable import Cluster
@testable import Launch

/// A real Slurm 22.05 for a test, as root without systemd: `munged --force` (left running if it was),
/// then `slurmctld -D` and `slurmd -D` with a generated `slurm.conf` (one node at 127.0.0.1 with this
/// machine's CPUs, non-default ports, state and logs in a temporary folder). Clients reach it through
/// ``environment`` (`SLURM_CONF`). The daemons are stopped when it is released. If they cannot start,
/// the initializer throws with the reason: the tests that need Slurm fail, they never skip silently.
final class LocalSlurm {
    let dir: TemporaryDirectory
    private var daemons: [ChildProcess] = []
    /// Whether this instance started munged (then it stops it too).
    private var startedMunge = false
    var configFile: String { dir.path + "/slurm.conf" }
    /// What a Slurm client needs in its environment.
    var environment: [String: String] { ["SLURM_CONF": configFile] }

    init() throws {
        for tool in ["/usr/sbin/munged", "/usr/sbin/slurmctld", "/usr/sbin/slurmd", "/usr/bin/sbatch"]
        where !FileManager.default.isExecutableFile(atPath: tool) {
            throw Failure("\(tool) is missing: `make deps` installs slurm-wlm and munge")
        }
        dir = try TemporaryDirectory(prefix: "tagood-slurm")
        startedMunge = try Self.startMunge()
        for sub in ["state", "spool"] {
            try FileManager.default.createDirectory(atPath: dir.path + "/" + sub, withIntermediateDirectories: true)
        }
        let host = ProcessIdentity.hostname.split(separator: ".").first.map(String.init) ?? "localhost"
        let cpus = CoreSet.available().count
        let (ctld, slurmd) = (try LocalSSHD.freePort(), try LocalSSHD.freePort())
        try """
        ClusterName=tagoodtest
        SlurmctldHost=\(host)(127.0.0.1)
        SlurmctldPort=\(ctld)
        SlurmdPort=\(slurmd)
        SlurmUser=root
        SlurmdUser=root
        AuthType=auth/munge
        CredType=cred/munge
        StateSaveLocation=\(dir.path)/state
        SlurmdSpoolDir=\(dir.path)/spool
        SlurmctldPidFile=\(dir.path)/slurmctld.pid
        SlurmdPidFile=\(dir.path)/slurmd.pid
        SlurmctldLogFile=\(dir.path)/slurmctld.log
        SlurmdLogFile=\(dir.path)/slurmd.log
        ProctrackType=proctrack/linuxproc
        TaskPlugin=task/none
        SelectType=select/cons_tres
        SelectTypeParameters=CR_CPU
        MpiDefault=none
        ReturnToService=2
        JobCompType=jobcomp/none
        AccountingStorageType=accounting_storage/none
        JobAcctGatherType=jobacct_gather/none
        NodeName=\(host) NodeAddr=127.0.0.1 CPUs=\(cpus) RealMemory=1000 State=UNKNOWN
        PartitionName=test Nodes=ALL Default=YES MaxTime=INFINITE State=UP

        """.write(toFile: configFile, atomically: true, encoding: .utf8)
        for daemon in ["slurmctld", "slurmd"] {
            daemons.append(
                try ChildProcess(
                    executable: "/usr/sbin/\(daemon)", arguments: ["-D", "-f", configFile],
                    environment: environment, logFile: dir.path + "/\(daemon).out"))
        }
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            if let info = try? TagoodProcess.runProgram("/usr/bin/sinfo", ["-h", "-o", "%T"], environment: environment),
                info.status == 0, info.stdout.contains("idle")
            {
                return
            }
            if let dead = daemons.first(where: { !$0.isRunning }) {
                throw Failure("a Slurm daemon (pid \(dead.pid)) exited at start: \(log())")
            }
            usleep(200_000)
        }
        throw Failure("the Slurm node did not become idle within 30 s: \(log())")
    }

    deinit {
        for daemon in daemons.reversed() {
            daemon.signal(SIGTERM)
            if !daemon.wait(seconds: 10) { daemon.signal(SIGKILL); _ = daemon.wait(seconds: 5) }
        }
        if startedMunge { _ = try? TagoodProcess.runProgram("/usr/sbin/munged", ["--stop"]) }
    }

    /// Runs a Slurm client command against this cluster.
    func run(_ command: String, _ args: [String]) throws -> TagoodProcess.Result {
        try TagoodProcess.runProgram("/usr/bin/\(command)", args, environment: environment)
    }

    /// The ends of the daemons' logs, for failure messages.
    func log() -> String {
        ["slurmctld.out", "slurmd.out", "slurmctld.log", "slurmd.log"].map { name in
            let text = (try? String(contentsOfFile: dir.path + "/" + name, encoding: .utf8)) ?? ""
            return "\(name): " + text.split(separator: "\n").suffix(5).joined(separator: " | ")
        }.joined(separator: "\n")
    }

    /// Starts munged unless one answers already (`munge -n` works); whether it started one.
    private static func startMunge() throws -> Bool {
        if (try? TagoodProcess.runProgram("/bin/sh", ["-c", "munge -n | unmunge"]))?.status == 0 { return false }
        try FileManager.default.createDirectory(atPath: "/run/munge", withIntermediateDirectories: true)
        // munged daemonizes: its daemon keeps any pipe open, so its output goes to a file, not to a pipe.
        let log = NSTemporaryDirectory() + "/tagood-munged-\(getpid()).log"
        let starter = try ChildProcess(executable: "/usr/sbin/munged", arguments: ["--force"], logFile: log)
        _ = starter.wait(seconds: 10)
        guard (try? TagoodProcess.runProgram("/bin/sh", ["-c", "munge -n | unmunge"]))?.status == 0 else {
            throw Failure("munged --force did not start: \((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")
        }
        return true
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }
}
