import ArgumentParser
import TagoodSupport

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
        subcommands: [Launch.self, Resume.self, Status.self, WorkerCommand.self, Plan.self, Preprocess.self, Inspect.self, Metrics.self, Bench.self]
    )
}
