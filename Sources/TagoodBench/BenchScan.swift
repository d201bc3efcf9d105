import ArgumentParser
import Datasets
import Foundation
import TagoodSupport

/// `tagood-bench scan`: how fast a dataset root is scanned into a sorted image list.
struct BenchScan: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scan",
        abstract: "Scan a dataset root (or read a list file) and report paths per second."
    )

    @Option(help: "Dataset root to scan.") var root: String

    @Option(help: "imagefolder, nested or list.") var layout: String = "imagefolder"

    @Option(help: "List file, for --layout list (files are not stat'ed).") var list: String?

    @OptionGroup var results: BenchOutput

    mutating func run() throws {
        guard let layout = DatasetLayout(rawValue: layout) else { throw ValidationError("unknown layout \(layout)") }
        let (images, seconds) = try Stopwatch.time {
            if layout == .list {
                guard let list else { throw ValidationError("--layout list needs --list FILE") }
                return try ListFileReader.read(file: list, root: root, checkFilesExist: false)
            }
            return try DirectoryScanner.scan(root: root, layout: layout)
        }
        results.print(
            "scan-\(layout.rawValue)", "paths/s", Double(images.count) / seconds,
            [("paths", String(images.count)), ("seconds", Format.fixed(seconds, 3))])
    }
}
