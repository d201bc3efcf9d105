import Foundation

/// `report/report.md`: the paper-style tables.
public enum ReportMarkdown {
    public static func render(_ report: Report) -> String {
        var out =
            "# TagOOD report\n\nJob `\(report.job)` (plan \(report.planHash)).\n\n\(ReportTables.idLine(report))\n\n"
        out +=
            "All metrics in percent. FPR95 is the TagOOD/MOS convention (ID positive, interpolated); "
            + "FPR95 OpenOOD is OpenOOD v1.5's (OOD positive, no interpolation).\n\n"
        out += "## TagOOD\n\n" + table(ReportTables.detail(report, column: .tagood)) + "\n"
        out += "## All scores: FPR95 ↓ / AUROC ↑\n\n" + table(ReportTables.comparison(report)) + "\n"
        for column in report.scoreColumns where column != .tagood {
            out += "### \(column.title)\n\n" + table(ReportTables.detail(report, column: column)) + "\n"
        }
        out += "## Scores\n\n"
        for c in report.columns { out += "- **\(c.title)** (`\(c.name)`): \(c.definition)\n" }
        if !report.notes.isEmpty {
            out += "\n## Notes\n\n"
            for note in report.notes { out += "- \(note)\n" }
        }
        return out
    }

    static func table(_ t: ReportTables.Table) -> String {
        let escape = { (s: String) in s.replacingOccurrences(of: "|", with: "\\|") }
        var out = "| " + t.header.map(escape).joined(separator: " | ") + " |\n"
        out += "|" + t.header.indices.map { $0 == 0 ? " --- |" : " ---: |" }.joined() + "\n"
        for (i, row) in t.rows.enumerated() {
            let isAverage = i == t.rows.count - 1 && row.first == "Average"
            out +=
                "| "
                + row.map { cell in isAverage && !cell.isEmpty ? "**\(escape(cell))**" : escape(cell) }.joined(
                    separator: " | ") + " |\n"
        }
        return out
    }
}
