import Foundation
import Job
import Reduce
import TagoodTestSupport
import Testing

/// `tagood report`'s files: report.json's structure, the markdown table and the self-contained HTML.
@Suite struct ReportTests {
    @Test func writesJSONMarkdownAndHTML() throws {
        let (tmp, job) = try JobBuilder.randomJob(seed: 21)
        defer { _ = tmp }
        _ = try Reducer.run(directory: JobDirectory(job), options: ReduceOptions(threads: 2, knnK: 5))
        let builder = try ReportBuilder(directory: JobDirectory(job))
        try builder.write(to: JobDirectory(job))
        let report = builder.report
        #expect(report.ood.map(\.dataset) == ["ood-a", "ood-b"])
        #expect(report.id.datasets == ["val"] && report.id.failed == 1 && report.id.scored == 39)
        for set in report.ood {
            #expect(Set(set.metrics.keys) == Set(ScoreColumn.allCases.filter { $0 != .tagoodLearned }.map(\.rawValue)))
            for m in set.metrics.values {
                for v in [m.auroc, m.auprIn, m.auprOut, m.fpr95TagOOD, m.fpr95OpenOOD] { #expect(v >= 0 && v <= 1) }
            }
            // Recomputed from the score files with the metrics module: the same numbers.
            let id = try JobBuilder.scores(job, "val").column(.knn)
            let ood = try JobBuilder.scores(job, set.dataset).column(.knn)
            #expect(set.metrics["knn"] == (try OODMetrics(id: id, ood: ood)))
        }
        let tagood = report.ood.map { $0.metrics["tagood"]!.auroc }
        #expect(abs(report.average["tagood"]!.auroc - tagood.reduce(0, +) / 2) < 1e-15)

        let json =
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: job + "/report/report.json")))
            as! [String: Any]
        let first = (json["ood"] as! [[String: Any]])[0]["metrics"] as! [String: [String: Double]]
        #expect(Set(first["tagood"]!.keys) == ["auroc", "aupr_in", "aupr_out", "fpr95_tagood", "fpr95_openood"])

        let md = try String(contentsOfFile: job + "/report/report.md", encoding: .utf8)
        #expect(md.contains("| OOD set | FPR95 ↓ | AUROC ↑"))
        #expect(md.contains("| **Average** |"))
        let html = try String(contentsOfFile: job + "/report/report.html", encoding: .utf8)
        #expect(html.components(separatedBy: "<svg").count - 1 == 2 * 8) // per OOD set: ROC + 7 histograms
        #expect(html.contains("<polyline"))
        // Self-contained: nothing fetched (the SVG namespace is an identifier, not a download).
        #expect(!html.replacingOccurrences(of: "xmlns='http://www.w3.org/2000/svg'", with: "").contains("http"))
        #expect(!html.contains("<script"))
    }
}
