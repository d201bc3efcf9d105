import ArgumentParser
import Datasets
import Foundation
import Imaging
import TagoodSupport

/// `tagood-bench tar-index --tar FILE`: index a tar (`layout: tar`, every member's header read in one pass)
/// and report members per second; `tools/bench/tar_reference.py index FILE` lists the same archive with
/// Python's `tarfile`.
struct BenchTarIndex: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tar-index",
        abstract: "Index a tar as `plan` does (layout tar) and report members per second."
    )

    @Option(help: "The tar to index.") var tar: String

    @OptionGroup var results: BenchOutput

    mutating func run() throws {
        let spec = DatasetSpec(name: "bench", role: .ood, layout: .tar, root: tar)
        let ((images, archive), seconds) = try Stopwatch.time { try spec.scanWithIndex() }
        results.print(
            "tar-index", "members/s", Double(images.count) / seconds,
            [
                ("members", String(images.count)), ("tars", String(archive?.tars.count ?? 0)),
                ("seconds", Format.fixed(seconds, 3))
            ])
    }
}

/// `tagood-bench tar-read --images DIR --tar FILE`: read + decode + transform every image on one thread,
/// from the tar (through its index, one `pread` each: impl `tagood`) and from the loose files (impl
/// `loose`), alternating passes in one run, in images per second.
struct BenchTarRead: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tar-read",
        abstract: "Read, decode and transform images from a tar and from loose files, alternating; images per second."
    )

    @Option(help: "Folder of the loose images (a flat folder).") var images: String

    @Option(help: "A tar of the same images.") var tar: String

    @Option(name: .customLong("repeat"), help: "Alternating passes of each (after one warm-up pass each).")
    var repetitions: Int = 3

    @OptionGroup var results: BenchOutput

    mutating func run() throws {
        let scratch = try results.scratch(prefix: "tagood-bench-tar")
        let planFile = scratch.path + "/plan.json"
        let plan = try ShardPlan.make(
            datasets: [
                DatasetSpec(name: "tar", role: .ood, layout: .tar, root: tar),
                DatasetSpec(name: "loose", role: .ood, layout: .nested, root: images)
            ], imagesPerShard: 1_000_000)
        try plan.write(to: planFile)
        let (tarred, loose) = (plan.datasets[0], plan.datasets[1])
        guard tarred.images.count == loose.images.count else {
            throw ValidationError("the tar holds \(tarred.images.count) images, the folder \(loose.images.count)")
        }
        let decoder = ImageDecoder()
        let transform = TagOODTransform()
        var output = [Float](repeating: 0, count: transform.outputCount)
        func fromTar() throws {
            let reader = try ArchiveShardReader(
                indexFile: ArchiveIndex.file(besidePlan: planFile, dataset: "tar"), shardIndex: 0,
                paths: tarred.images.paths)
            for (i, path) in tarred.images.paths.enumerated() {
                transform.apply(
                    try decoder.decode(try reader.bytes(of: i, limit: decoder.maxFileBytes), path: path).image,
                    into: &output)
            }
        }
        func fromFiles() throws {
            for path in loose.images.paths {
                transform.apply(try decoder.decode(file: images + "/" + path).image, into: &output)
            }
        }
        try fromTar()
        try fromFiles()
        var tarSeconds = 0.0, looseSeconds = 0.0
        for _ in 0..<repetitions {
            tarSeconds += try Stopwatch.seconds(fromTar)
            looseSeconds += try Stopwatch.seconds(fromFiles)
        }
        let n = Double(tarred.images.count * repetitions)
        results.print(
            BenchResult(
                bench: "tar-read", unit: "images/s", value: n / tarSeconds,
                extra: [("images", String(tarred.images.count))]),
            BenchResult(bench: "tar-read", impl: "loose", unit: "images/s", value: n / looseSeconds))
    }
}
