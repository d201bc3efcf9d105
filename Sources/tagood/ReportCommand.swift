import ArgumentParser
import Foundation
import Job
import Reduce

/// `tagood report`: the evaluation of a reduced job, as JSON, Markdown and HTML, and printed.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write report/report.json, report.md and report.html for a reduced job and print its table.",
        discussion: """
            For each OOD set and each score: AUROC, AUPR-In, AUPR-Out, FPR95 (TagOOD/MOS convention: ID positive, \
            interpolated) and FPR95 (OpenOOD v1.5: OOD positive, no interpolation), all fractions in report.json \
            and percent in the tables. report.html is one self-contained file with ROC curves and score histograms. \
            OOD sets with a `group:` in the job file (near, far, …) also get their group's mean of every metric, \
            beside the per-set rows, in every format.

            --export DIR writes every scored image (id-val and OOD) with its dataset, role, group, path, label \
            and one column per score, as DIR/scores.csv and DIR/scores.npz (np.load reads it).

            Example:
              tagood reduce runs/imagenet && tagood report runs/imagenet --export runs/imagenet/export
            """
    )

    @Argument(help: "The job directory (reduced with `tagood reduce`).") var job: String

    @Flag(help: "Print report.json instead of the tables.") var json = false

    @Option(help: "Also write every per-image score to DIR/scores.csv and DIR/scores.npz.") var export: String?

    mutating func run() throws {
        let directory = JobDirectory(job)
        let builder = try ReportBuilder(directory: directory)
        try builder.write(to: directory)
        let exported = try export.map { try ScoreExport.write(builder, to: $0) }
        if json {
            let bytes = try Data(contentsOf: URL(fileURLWithPath: directory.reportJSONFile))
            print(String(decoding: bytes, as: UTF8.self), terminator: "")
            return
        }
        Self.printTables(builder.report, job: job)
        if let exported { print("exported every score to \(exported.joined(separator: " and "))") }
    }

    /// Prints the report's tables (also the demo's last step).
    static func printTables(_ report: Report, job: String) {
        print(ReportTables.idLine(report) + "\n")
        print("TagOOD (percent; FPR95 in the TagOOD convention)")
        print(Self.render(ReportTables.detail(report, column: .tagood)) + "\n")
        print("All scores: FPR95 / AUROC (percent)")
        print(Self.render(ReportTables.comparison(report)) + "\n")
        for note in report.notes { print("note: \(note)") }
        print("wrote \(job)/report/report.json, report.md, report.html")
    }

    static func render(_ t: ReportTables.Table) -> String {
        var table = TextTable(rightAligned: Set(1..<t.header.count))
        table.header = t.header
        for row in t.rows { table.add(row: row) }
        return table.render()
    }
}
