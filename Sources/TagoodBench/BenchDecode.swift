import ArgumentParser
import Foundation
import Imaging
import TagoodSupport

/// `tagood-bench decode --images DIR`: decode + TagOOD transform on one thread, in images per second.
/// `tools/bench/decode_reference.py DIR` does the same work with Pillow + NumPy.
struct BenchDecode: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decode",
        abstract: "Decode and transform every image in a folder on one thread; report images per second."
    )

    @Option(help: "Folder of images (every regular file in it, sorted by name; not recursive).") var images: String

    @Option(
        name: .customLong("repeat"),
        help: "How many times to process the whole folder (after one warm-up pass).")
    var repetitions: Int = 3

    @OptionGroup var results: BenchOutput

    mutating func validate() throws {
        guard repetitions > 0 else { throw ValidationError("--repeat must be positive") }
    }

    mutating func run() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: images).sorted()
        var files: [String] = []
        for name in names {
            let path = Path.join(images, name)
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue {
                files.append(path)
            }
        }
        guard !files.isEmpty else { throw ValidationError("no files in \(images)") }
        let decoder = ImageDecoder()
        let transform = TagOODTransform()
        var output = [Float](repeating: 0, count: transform.outputCount)
        var failed = 0
        func pass() {
            for file in files {
                do {
                    let decoded = try decoder.decode(file: file)
                    transform.apply(decoded.image, into: &output)
                } catch {
                    failed += 1
                }
            }
        }
        pass() // warm-up: page cache, allocator
        let failedPerPass = failed
        let seconds = Stopwatch.seconds { for _ in 0..<repetitions { pass() } }
        let processed = files.count * repetitions
        results.print(
            "decode+transform", "images/s", Double(processed) / seconds,
            [
                ("images", String(files.count)), ("repeat", String(repetitions)),
                ("failed", String(failedPerPass)), ("seconds", Format.fixed(seconds, 3))
            ])
    }
}
