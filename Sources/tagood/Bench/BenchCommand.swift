import ArgumentParser

/// `tagood bench`: the Swift side of `make bench`. Each subcommand measures one hot path and prints a
/// result line; `tools/bench.py` runs it next to the reference implementation and prints the ratios.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure a hot path (used by `make bench`, which compares against the Python reference).",
        subcommands: [BenchDecode.self, BenchShardWrite.self, BenchScan.self, BenchForward.self, BenchReduce.self, BenchCoordinator.self]
    )
}

/// One benchmark measurement, printed as a JSON line with `--json`.
struct BenchResult {
    var bench: String
    var unit: String
    var value: Double
    var extra: [(String, String)] = []

    func print(json: Bool) {
        if json {
            let fields = extra.map { ", \"\($0.0)\": \"\($0.1)\"" }.joined()
            Swift.print("{\"bench\": \"\(bench)\", \"impl\": \"tagood\", \"unit\": \"\(unit)\", \"value\": \(value)\(fields)}")
        } else {
            Swift.print("\(bench): \(Format.fixed(value, 2)) \(unit)"
                + extra.map { " \($0.0)=\($0.1)" }.joined())
        }
    }
}
