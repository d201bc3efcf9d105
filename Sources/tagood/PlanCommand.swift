import ArgumentParser
import Datasets
import Foundation
import TagoodSupport

/// `tagood plan`: scan datasets and cut them into shards, writing `plan.json`.
struct Plan: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Scan datasets into a deterministic image list and cut it into shards (plan.json).",
        discussion: """
            Each --dataset is NAME:ROLE:LAYOUT:ROOT[:LIST_FILE]
              ROLE    id-train | id-val | ood
              LAYOUT  imagefolder  <ROOT>/<class>/<image>; classes sorted, labelled 0, 1, …
                      nested       every image anywhere under ROOT, labelled -1
                      list         LIST_FILE: one path relative to ROOT per line, optional integer label
                      tar          ROOT: a tar, a folder of tars or a glob, read in place; inside, ImageFolder \
            rules (a class is a folder or an inner tar such as n01440764.tar); LIST_FILE labels a flat tar
                      webdataset   ROOT: a folder or glob of shards; KEY.jpg/.png with KEY.cls (else -1)

            Images are .jpg, .jpeg and .png files in any letter case; hidden files are skipped and other \
            files are counted. The order is sorted(os.walk(root)) order, so two scans give the same plan \
            and the same plan hash; the hash changes when any list or the shard size changes. For tars, one \
            pass over each tar's headers indexes where every image lies (tar-index/<dataset>.tarindex beside the \
            plan, hashed into it); workers then read each image with one pread, nothing unpacked.

            Example:
              tagood plan --dataset imagenet-val:id-val:imagefolder:/data/imagenet/val \\
                          --dataset textures:ood:nested:/data/dtd/images --images-per-shard 1000 -o plan.json
            """
    )

    @Option(
        name: .customLong("dataset"),
        help: ArgumentHelp("A dataset, NAME:ROLE:LAYOUT:ROOT[:LIST_FILE] (repeatable).", valueName: "spec"))
    var datasets: [String] = []

    @Option(help: "Images per shard.") var imagesPerShard: Int = 1000

    @Option(name: [.short, .customLong("output")], help: "Where to write the plan.") var output: String = "plan.json"

    mutating func run() throws {
        guard !datasets.isEmpty else {
            throw ValidationError("give at least one --dataset NAME:ROLE:LAYOUT:ROOT[:LIST_FILE]")
        }
        let specs = try datasets.map(Self.parseSpec)
        let started = Date()
        let plan = try ShardPlan.make(datasets: specs, imagesPerShard: imagesPerShard)
        let scanned = Date().timeIntervalSince(started)
        let bytes = plan.jsonBytes()
        try plan.write(to: output)

        var table = TextTable(
            "dataset", "role", "layout", "images", "classes", "shards", "skipped", "hidden", "hash",
            rightAligned: [3, 4, 5, 6, 7])
        for d in plan.datasets {
            table.add(
                d.spec.name, d.spec.role.rawValue, d.spec.layout.rawValue, Format.count(d.images.count),
                d.images.classes.isEmpty ? "-" : Format.count(d.images.classes.count),
                Format.count(d.shards.count), Format.count(d.images.skippedFiles), Format.count(d.images.hiddenEntries),
                d.hash)
        }
        print(table.render())
        print("")
        print(
            "plan \(plan.hash): \(Format.count(plan.imageCount)) images in \(Format.count(plan.shardCount)) shards "
                + "of up to \(Format.count(imagesPerShard)); scanned in \(Format.fixed(scanned, 2)) s")
        print("wrote \(output) (\(Format.bytes(bytes.count)))")
        for d in plan.datasets where d.archive != nil {
            print(
                "wrote \(ArchiveIndex.file(besidePlan: output, dataset: d.spec.name)): \(Format.count(d.images.count)) "
                    + "images in \(d.archive!.tars.count) tars")
        }
        let hidden = plan.datasets.reduce(0) { $0 + $1.images.hiddenEntries }
        if hidden > 0 {
            print(
                "note: \(Format.count(hidden)) hidden entries (names starting with '.') were skipped, as torchvision's ImageFolder skips them"
            )
        }
        let skipped = plan.datasets.reduce(0) { $0 + $1.images.skippedFiles }
        if skipped > 0 {
            print("note: \(Format.count(skipped)) files without a .jpg/.jpeg/.png extension were not planned")
        }
    }

    /// Parses `NAME:ROLE:LAYOUT:ROOT[:LIST_FILE]`.
    static func parseSpec(_ text: String) throws -> DatasetSpec {
        let parts = text.split(separator: ":", maxSplits: 4, omittingEmptySubsequences: false).map(String.init)
        guard parts.count >= 4 else {
            throw ValidationError("--dataset '\(text)' must be NAME:ROLE:LAYOUT:ROOT[:LIST_FILE]")
        }
        guard let role = DatasetRole(rawValue: parts[1]) else {
            throw ValidationError(
                "--dataset '\(text)': role '\(parts[1])' must be one of \(DatasetRole.allCases.map(\.rawValue).joined(separator: ", "))"
            )
        }
        guard let layout = DatasetLayout(rawValue: parts[2]) else {
            throw ValidationError(
                "--dataset '\(text)': layout '\(parts[2])' must be one of \(DatasetLayout.allCases.map(\.rawValue).joined(separator: ", "))"
            )
        }
        let list = parts.count == 5 ? parts[4] : nil
        if layout == .list && list == nil {
            throw ValidationError("--dataset '\(text)': layout 'list' needs a list file as the fifth field")
        }
        if list != nil && layout != .list && layout != .tar {
            throw ValidationError("--dataset '\(text)': a list file is only used with layout 'list' or 'tar'")
        }
        return DatasetSpec(name: parts[0], role: role, layout: layout, root: parts[3], listFile: list)
    }
}
