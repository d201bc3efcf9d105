import ArgumentParser
import TagoodSupport
import Tensor

/// The `tagood` command line: TagOOD out-of-distribution detection at cluster scale.
@main
struct Tagood: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tagood",
        abstract: "TagOOD out-of-distribution detection at cluster scale.",
        discussion: """
            tagood extracts RAM object tokens from image datasets into HDF5 shards, then reduces them into \
            class centers, OOD scores and the TagOOD paper's metrics.

            Start with `make demo`, or look at one image the way the model will: `tagood preprocess IMAGE -o x.npy`.
            """,
        version: TagoodVersion.string,
        subcommands: [
            Demo.self, Launch.self, Resume.self, Status.self, WorkerCommand.self, Plan.self, ExtractCommand.self,
            ModelCommand.self, Preprocess.self, Inspect.self, TrainCommand.self, ReduceCommand.self, ReportCommand.self,
            Metrics.self
        ]
    )

    /// Runs the command line. Debian's OpenBLAS 0.3.21 does not recognise recent CPUs and falls back to
    /// slow generic kernels; when OPENBLAS_CORETYPE is unset, re-run once with the best kernels the CPU
    /// supports (workers inherit the setting). An OPENBLAS_CORETYPE already set is never overridden.
    /// Then stop the threads OpenBLAS started when it loaded, which would spin on a core for 0.1 s.
    static func main() {
        BLAS.reexecWithPreferredKernelsIfNeeded()
        BLAS.stopIdleThreads()
        main(nil)
    }
}
