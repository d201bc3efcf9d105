import ArgumentParser
import Foundation
import TagoodSupport

/// `tagood bench`: the Swift side of `make bench`. Each subcommand measures one hot path and prints a
/// result line; `tools/bench.py` runs it next to the reference implementation and prints the ratios.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure a hot path (used by `make bench`, which compares against the Python reference).",
        subcommands: [BenchDecode.self, BenchShardWrite.self, BenchScan.self, BenchForward.self, BenchReduce.self, BenchCoordinator.self,
                      BenchTrain.self, BenchScore.self]
    )
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
            Swift.print("\(bench)\(impl == "tagood" ? "" : " [\(impl)]"): \(Format.fixed(value, 2)) \(unit)"
                + extra.map { " \($0.0)=\($0.1)" }.joined())
        }
    }
}
