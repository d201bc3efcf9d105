/// `report/report.html`: one self-contained page (inline CSS and SVG, no script, no external resource)
/// with the tables, the ROC curves of every score and the ID-vs-OOD score histograms for each OOD set.
public enum ReportHTML {
    public static func render(_ built: ReportBuilder) -> String {
        let r = built.report
        var h = """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>TagOOD report</title>
            <style>
            body{font-family:sans-serif;margin:24px;color:#222;max-width:1300px}
            table{border-collapse:collapse;margin:8px 0 18px}th,td{border:1px solid #ccc;padding:4px 8px;text-align:right;font-size:13px}
            th:first-child,td:first-child{text-align:left}tr.avg td{font-weight:bold;background:#f3f3f3}
            .charts{display:flex;flex-wrap:wrap;gap:16px}.charts figure{margin:0}figcaption{font-size:12px;color:#555}
            code{background:#f3f3f3;padding:0 3px}details{margin:6px 0 14px}
            </style></head><body>
            <h1>TagOOD report</h1>
            """
        h += "<p>Job <code>\(SVGChart.escape(r.job))</code> (plan \(SVGChart.escape(r.planHash))).</p>"
        h += "<p>\(SVGChart.escape(ReportTables.idLine(r)))</p>"
        h +=
            "<p>All metrics in percent. FPR95: TagOOD/MOS convention (ID positive, interpolated); FPR95 OpenOOD: OpenOOD v1.5 "
            + "(OOD positive, no interpolation).</p>"
        h += "<h2>TagOOD</h2>" + table(ReportTables.detail(r, column: .tagood))
        h += "<h2>All scores: FPR95 ↓ / AUROC ↑</h2>" + table(ReportTables.comparison(r))
        for (dataset, scores) in built.oodScores {
            h += "<h2>\(SVGChart.escape(dataset))</h2><div class='charts'>"
            var curves: [(label: String, fpr: [Double], tpr: [Double])] = []
            for column in r.scoreColumns {
                let roc = ROCCurve(positives: built.idScores[column]!, negatives: scores[column]!)
                let (x, y) = SVGChart.thin(fpr: roc.falsePositiveRate, tpr: roc.truePositiveRate)
                curves.append(("\(column.title): AUROC \(ReportTables.percent(roc.area))", x, y))
            }
            h += "<figure>\(SVGChart.roc(curves))<figcaption>ROC, ID positive</figcaption></figure>"
            h +=
                "<figure>\(SVGChart.histogram(id: built.idScores[.tagood]!, ood: scores[.tagood]!, oodLabel: dataset))"
                + "<figcaption>TagOOD score</figcaption></figure></div>"
            h += "<details><summary>Histograms of the other scores</summary><div class='charts'>"
            for column in r.scoreColumns where column != .tagood {
                h +=
                    "<figure>\(SVGChart.histogram(id: built.idScores[column]!, ood: scores[column]!, oodLabel: dataset))"
                    + "<figcaption>\(SVGChart.escape(column.title))</figcaption></figure>"
            }
            h += "</div></details>"
        }
        h += "<h2>Scores</h2><ul>"
        for c in r.columns {
            h +=
                "<li><b>\(SVGChart.escape(c.title))</b> (<code>\(c.name)</code>): \(SVGChart.escape(c.definition))</li>"
        }
        h += "</ul>"
        if !r.notes.isEmpty {
            h += "<h2>Notes</h2><ul>" + r.notes.map { "<li>\(SVGChart.escape($0))</li>" }.joined() + "</ul>"
        }
        return h + "</body></html>\n"
    }

    static func table(_ t: ReportTables.Table) -> String {
        var s = "<table><tr>" + t.header.map { "<th>\(SVGChart.escape($0))</th>" }.joined() + "</tr>"
        for (i, row) in t.rows.enumerated() {
            let avg = i == t.rows.count - 1 && row.first == "Average"
            s += (avg ? "<tr class='avg'>" : "<tr>") + row.map { "<td>\(SVGChart.escape($0))</td>" }.joined() + "</tr>"
        }
        return s + "</table>"
    }
}
