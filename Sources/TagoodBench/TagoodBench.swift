import ArgumentParser
import Foundation
import TagoodSupport
import Tensor

/// `tagood-bench`: the Swift side of `make bench`, built beside `tagood` but not part of it (it links the
/// test support for `reduce`'s synthetic job). Each subcommand measures one hot path and prints a result
/// line; `tools/bench.py` runs it next to the reference implementation and prints the ratios.
@main
struct TagoodBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tagood-bench",
        abstract: "Measure a hot path of tagood (used by `make bench`, which compares against the Python reference).",
        version: TagoodVersion.string,
        subcommands: [
            BenchDecode.self, BenchShardWrite.self, BenchScan.self, BenchForward.self, BenchReduce.self,
            BenchCoordinator.self, BenchTrain.self, BenchScore.self, BenchTarIndex.self, BenchTarRead.self,
            BenchGPUReference.self
        ]
    )

    /// Runs the command line as `tagood` does: with the best OpenBLAS kernels the CPU supports (re-executing
    /// once when OPENBLAS_CORETYPE is unset), and without OpenBLAS's idle threads spinning at start.
    static func main() {
        BLAS.reexecWithPreferredKernelsIfNeeded()
        BLAS.stopIdleThreads()
        main(nil)
    }
}

/// The options every benchmark has: where its scratch files go and how it prints.
struct BenchOutput: ParsableArguments {
    @Flag(help: "Print one JSON line per measurement (what tools/bench.py reads).") var json = false

    @Option(help: "Directory for scratch files (default: a fresh temporary directory, removed afterwards).")
    var dir: String?

    /// The scratch folder: `--dir`, or a temporary directory kept alive by the returned handle.
    func scratch(prefix: String) throws -> (path: String, handle: TemporaryDirectory?) {
        if let dir { return (dir, nil) }
        let temporary = try TemporaryDirectory(prefix: prefix)
        return (temporary.path, temporary)
    }

    /// Prints the measurements.
    func print(_ results: BenchResult...) { for r in results { r.print(json: json) } }

    /// Prints one measurement of `impl` (tagood, or what it is compared with in the same run).
    func print(
        _ bench: String, impl: String = "tagood", _ unit: String, _ value: Double,
        _ extra: [(String, String)] = []
    ) {
        print(BenchResult(bench: bench, impl: impl, unit: unit, value: value, extra: extra))
    }
}

/// The size of synthetic token rows, shared by the benchmarks that write shards.
struct SyntheticTokenOptions: ParsableArguments {
    @Option(help: "Tokens per image.") var tokensPerImage: Int = 40

    @Option(help: "Token width (RAM: 512).") var embedDim: Int = 512
}

/// The thread count of the benchmarks that use the whole machine.
struct ThreadOptions: ParsableArguments {
    @Option(help: "Threads for the work and for BLAS (default: all cores).")
    var threads: Int = ParallelFor.defaultThreads
}

/// Wall-clock timing for the benchmarks.
enum Stopwatch {
    /// What `body` returns, and the seconds it took (monotonic clock).
    static func time<T>(_ body: () throws -> T) rethrows -> (result: T, seconds: Double) {
        let started = DispatchTime.now()
        let result = try body()
        return (result, Double(DispatchTime.now().uptimeNanoseconds - started.uptimeNanoseconds) / 1e9)
    }

    /// Seconds `body` takes (monotonic clock).
    static func seconds(_ body: () throws -> Void) rethrows -> Double { try time(body).seconds }

    /// The median of timed runs (the upper one of an even count).
    static func median(_ times: [Double]) -> Double { times.sorted()[times.count / 2] }
}

/// One benchmark measurement: `{"bench", "impl", "unit", "value", …extra}` as a JSON line with `--json`.
struct BenchResult: Encodable {
    var bench: String
    var impl = "tagood"
    var unit: String
    var value: Double
    var extra: [(String, String)] = []

    private struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ name: String) { stringValue = name }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Key.self)
        try c.encode(bench, forKey: Key("bench"))
        try c.encode(impl, forKey: Key("impl"))
        try c.encode(unit, forKey: Key("unit"))
        try c.encode(value, forKey: Key("value"))
        for (k, v) in extra { try c.encode(v, forKey: Key(k)) }
    }

    func print(json: Bool) {
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            Swift.print(String(decoding: (try? encoder.encode(self)) ?? Data(), as: UTF8.self))
        } else {
            Swift.print(
                "\(bench)\(impl == "tagood" ? "" : " [\(impl)]"): \(Format.fixed(value, 2)) \(unit)"
                    + extra.map { " \($0.0)=\($0.1)" }.joined())
        }
    }
}
