import ArgumentParser
import Foundation
import Reduce
import TagoodSupport

/// `tagood metrics`: OOD metrics for any detector, from two plain score files.
struct Metrics: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "metrics",
        abstract: "Compute AUROC, AUPR and FPR95 from two files of scores (higher = more in-distribution).",
        discussion: """
            Each file has one score per line (blank lines and lines starting with # are ignored).

              auroc          area under the ROC, ID positive, ties count half (= sklearn roc_auc_score)
              aupr_in        average precision, ID positive (= sklearn average_precision_score); TagOOD's "AUPR"
              aupr_out       average precision, OOD positive, on negated scores
              fpr95_tagood   FPR at 95% TPR, ID positive, interpolated on the ROC (TagOOD/MOS code)
              fpr95_openood  FPR at 95% TPR, OOD positive, first ROC vertex at TPR >= 0.95 (OpenOOD v1.5)

            The two FPR95 conventions differ when scores tie (for example TagOOD's zero-score OOD images).

            Example:
              tagood metrics --id val_scores.txt --ood inat_scores.txt
            """
    )

    @Option(help: "ID scores, one per line.") var id: String

    @Option(help: "OOD scores, one per line.") var ood: String

    @Flag(help: "Print JSON (the report.json fields) instead of a table.") var json = false

    mutating func run() throws {
        let idScores = try Self.readScores(id)
        let oodScores = try Self.readScores(ood)
        let m = try OODMetrics(id: idScores, ood: oodScores)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(m), as: UTF8.self))
            return
        }
        var table = TextTable("metric", "value", "convention", rightAligned: [1])
        table.add("AUROC", Format.fixed(m.auroc * 100, 2) + "%", "ID positive, ties count half")
        table.add("AUPR-In", Format.fixed(m.auprIn * 100, 2) + "%", "average precision, ID positive")
        table.add("AUPR-Out", Format.fixed(m.auprOut * 100, 2) + "%", "average precision, OOD positive")
        table.add("FPR95 (TagOOD)", Format.fixed(m.fpr95TagOOD * 100, 2) + "%", "ID positive, interpolated")
        table.add("FPR95 (OpenOOD)", Format.fixed(m.fpr95OpenOOD * 100, 2) + "%", "OOD positive, no interpolation")
        print(
            "\(Format.count(idScores.count)) ID scores (\(id)), \(Format.count(oodScores.count)) OOD scores (\(ood))\n")
        print(table.render())
    }

    /// Reads one score per line; a line that is not a number is an error naming the file and line.
    static func readScores(_ path: String) throws -> [Double] {
        let text = String(decoding: try FileBytes.read(path), as: UTF8.self)
        var scores: [Double] = []
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            guard let value = Double(trimmed), value.isFinite else {
                throw ValidationError("\(path) line \(number + 1): '\(trimmed)' is not a finite number")
            }
            scores.append(value)
        }
        return scores
    }
}
