import Foundation
import Job
import Testing

@testable import Launch

/// How GPU workers are started: a cluster.yaml `gpu:` entry becomes `--gpu N` (with its `cores:` for the
/// decode threads), and a Slurm task with `gpus_per_task` runs `--gpu inherit` on the GPU its gres set.
@Suite struct GPULaunchTests {
    static func launch() -> WorkerLaunch {
        WorkerLaunch(
            endpoint: "tcp://127.0.0.1:5555", directory: JobDirectory("/tmp/job"), executable: "/usr/bin/tagood",
            extraArguments: [], environment: [:], maxRestarts: 1)
    }

    @Test func aGPUEntryStartsAWorkerOnThatGPUWithItsDecodeCores() throws {
        let spec = try ClusterSpec.parse(
            "launcher: ssh\nworkers:\n  - {host: node-1, gpu: 3, cores: \"0-1\"}\n  - {host: node-2, gpu: 0}\n",
            file: "cluster.yaml")
        let launcher = ProcessLauncher(cluster: spec, launch: Self.launch(), remote: spec.ssh)
        let first = launcher.command(for: 0).arguments.joined(separator: " ")
        #expect(first.contains("--gpu 3 --cores 0-1"), "\(first)")
        let second = launcher.command(for: 1).arguments.joined(separator: " ")
        #expect(second.contains("--gpu 0") && !second.contains("--cores"), "\(second)")
    }

    @Test func slurmTasksWithAGPURunOnTheGPUTheirGresSet() throws {
        for (gpus, expected) in [(1, true), (0, false)] {
            let spec = try ClusterSpec.parse(
                "launcher: slurm\nslurm: {tasks: 2, gpus_per_task: \(gpus)}\n", file: "cluster.yaml")
            let script = try SlurmLauncher(cluster: spec, launch: Self.launch()).script(tasks: 2)
            #expect(script.contains("'--cores' 'inherit'") || script.contains("--cores inherit"), "\(script)")
            #expect(script.contains("--gpu") == expected, "\(script)")
            #expect(script.contains("#SBATCH --gres=gpu:1") == expected, "\(script)")
        }
    }
}
