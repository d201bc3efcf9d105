import Foundation

/// The report's tables as cells, shared by `report.md`, `report.html` and the printed table.
public enum ReportTables {
    /// A table: a header row and body rows; the last body row is the average.
    public struct Table: Sendable, Equatable {
        public var header: [String]
        public var rows: [[String]]
    }

    /// A metric as a percentage with two decimals.
    public static func percent(_ x: Double) -> String { String(format: "%.2f", x * 100) }

    /// One score in detail: a row per OOD set, a row per group (its sets' mean), and the average; every
    /// metric in percent.
    public static func detail(_ report: Report, column: ScoreColumn) -> Table {
        let header = ["OOD set", "FPR95 ↓", "AUROC ↑", "AUPR-In ↑", "AUPR-Out ↑", "FPR95 OpenOOD ↓", "no tokens"]
        var rows: [[String]] = []
        for set in report.ood {
            guard let m = set.metrics[column.rawValue] else { continue }
            rows.append(
                [set.dataset] + cells(m) + [
                    String(format: "%.1f%%", Double(set.noTokens) / Double(max(set.scored, 1)) * 100)
                ])
        }
        for group in report.groups {
            if let m = group.metrics[column.rawValue] { rows.append([groupLabel(group)] + cells(m) + [""]) }
        }
        if let m = report.average[column.rawValue] { rows.append(["Average"] + cells(m) + [""]) }
        return Table(header: header, rows: rows)
    }

    /// A group's row label: `near (mean of 2)`.
    public static func groupLabel(_ group: Report.Group) -> String {
        "\(group.group) (mean of \(group.datasets.count))"
    }

    private static func cells(_ m: OODMetrics) -> [String] {
        [percent(m.fpr95TagOOD), percent(m.auroc), percent(m.auprIn), percent(m.auprOut), percent(m.fpr95OpenOOD)]
    }

    /// Every score side by side: "FPR95 / AUROC" (TagOOD convention, percent) per OOD set, per group and
    /// the average.
    public static func comparison(_ report: Report) -> Table {
        let header = ["OOD set"] + report.scoreColumns.map(\.title)
        var rows: [[String]] = []
        for set in report.ood {
            rows.append([set.dataset] + report.scoreColumns.map { c in set.metrics[c.rawValue].map(pair) ?? "" })
        }
        for group in report.groups {
            rows.append(
                [groupLabel(group)] + report.scoreColumns.map { c in group.metrics[c.rawValue].map(pair) ?? "" })
        }
        rows.append(["Average"] + report.scoreColumns.map { c in report.average[c.rawValue].map(pair) ?? "" })
        return Table(header: header, rows: rows)
    }

    private static func pair(_ m: OODMetrics) -> String { "\(percent(m.fpr95TagOOD)) / \(percent(m.auroc))" }

    /// The line about the ID set and the centers.
    public static func idLine(_ report: Report) -> String {
        var s = "ID: \(report.id.datasets.joined(separator: ", ")) (\(report.id.scored) images scored"
        if report.id.failed > 0 { s += ", \(report.id.failed) unreadable" }
        s += ")"
        if let a = report.id.top1Accuracy { s += ", top-1 accuracy from the nearest center \(percent(a))%" }
        s +=
            ". Centers: \(report.centers.classes) classes from \(report.centers.sourceDatasets.joined(separator: ", "))"
        s += "; KNN k = \(report.centers.knnK) over \(report.centers.knnBank) images."
        return s
    }
}
