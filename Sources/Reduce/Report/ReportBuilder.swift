import Job
import TagoodSupport

/// Builds the report of a reduced job from `reduce/summary.json` and the score files, and writes
/// `report/report.json`, `report.md` and `report.html`.
public struct ReportBuilder: Sendable {
    /// The report.
    public let report: Report
    /// The ID scores (every `id-val` dataset, in plan order) and each OOD set's, per column.
    public let idScores: [ScoreColumn: [Double]]
    public let oodScores: [(dataset: String, scores: [ScoreColumn: [Double]])]
    /// Every scored dataset (`id-val` and OOD, in summary order) with its score file: what `--export` writes.
    public let scored: [(dataset: ReduceSummary.Dataset, file: ScoresFile)]

    /// Reads the reduce outputs of the job in `directory` and computes every metric.
    public init(directory: JobDirectory) throws(ReduceError) {
        let jobPath = directory.path
        let notReduced = ReduceError(
            .notReduced,
            "\(jobPath) has no reduce outputs (reduce/summary.json); "
                + "run `tagood reduce \(jobPath)` first")
        let summary = try JSONFiles.read(ReduceSummary.self, from: directory.summaryFile, missing: notReduced)
        let available = ScoreColumn.allCases.filter { c in summary.columns.contains { $0.name == c.rawValue } }
        var id: [ScoreColumn: [Double]] = [:]
        var idSummary = Report.IDSummary(
            datasets: [], images: 0, scored: 0, failed: 0, noTokens: 0,
            top1Accuracy: summary.top1Accuracy)
        var oods: [(String, [ScoreColumn: [Double]])] = []
        var oodSets: [Report.OODSet] = []
        var scored: [(dataset: ReduceSummary.Dataset, file: ScoresFile)] = []
        for dataset in summary.datasets {
            guard let relative = dataset.scoresFile else { continue }
            let path = directory.file(relative: relative)
            let file = try JSONFiles.read(ScoresFile.self, from: path, missing: notReduced)
            scored.append((dataset, file))
            var columns: [ScoreColumn: [Double]] = [:]
            for column in available {
                let values = file.column(column)
                guard values.count == file.paths.count else {
                    throw ReduceError(
                        .damaged,
                        "\(path) has \(values.count) \(column.rawValue) scores for \(file.paths.count) images; re-run `tagood reduce`"
                    )
                }
                columns[column] = values
            }
            let role = DatasetRole(rawValue: dataset.role)
            if role == .idVal {
                idSummary.datasets.append(dataset.name)
                idSummary.images += dataset.images
                idSummary.scored += dataset.scored ?? 0
                idSummary.failed += dataset.failed
                idSummary.noTokens += dataset.noTokens
                for (c, v) in columns { id[c, default: []] += v }
            } else if role == .ood {
                oods.append((dataset.name, columns))
                oodSets.append(
                    Report.OODSet(
                        dataset: dataset.name, group: dataset.group, images: dataset.images,
                        scored: dataset.scored ?? 0, failed: dataset.failed, noTokens: dataset.noTokens, metrics: [:]))
            }
        }
        guard !idSummary.datasets.isEmpty else {
            throw ReduceError(
                .noIDVal,
                "\(jobPath) has no scored id-val dataset: the metrics need in-distribution validation images "
                    + "as positives; add one to the job (role id-val) and reduce again")
        }
        guard !oodSets.isEmpty else {
            throw ReduceError(
                .emptyDataset, "\(jobPath) has no scored OOD dataset; add one (role ood) and reduce again")
        }
        var average: [String: OODMetrics] = [:]
        for column in available {
            var all: [OODMetrics] = []
            for i in oodSets.indices {
                let m: OODMetrics
                do { m = try OODMetrics(id: id[column]!, ood: oods[i].1[column]!) } catch {
                    throw ReduceError(.damaged, "\(oodSets[i].dataset), \(column.rawValue): \(error)")
                }
                oodSets[i].metrics[column.rawValue] = m
                all.append(m)
            }
            average[column.rawValue] = OODMetrics.mean(all)
        }
        report = Report(
            job: jobPath, planHash: summary.planHash, id: idSummary,
            centers: .init(
                sourceJob: summary.centersSourceJob, sourceDatasets: summary.centersSourceDatasets,
                classes: summary.classes, knnBank: summary.knnBank, knnK: summary.knnK,
                mahalanobisRidge: summary.mahalanobisRidge),
            columns: summary.columns, ood: oodSets, groups: Report.groups(of: oodSets, columns: available),
            average: average, notes: summary.notes)
        idScores = id
        self.scored = scored
        oodScores = oods.map { (dataset: $0.0, scores: $0.1) }
    }

    /// Writes `report/report.json`, `report.md` and `report.html` under the job directory `directory`.
    public func write(to directory: JobDirectory) throws(ReduceError) {
        try Folders.make(directory.reportFolder)
        try JSONFiles.write(report, to: directory.reportJSONFile)
        try write(ReportMarkdown.render(report), to: directory.reportMarkdownFile)
        try write(ReportHTML.render(self), to: directory.reportHTMLFile)
    }

    private func write(_ text: String, to path: String) throws(ReduceError) {
        do { try AtomicFile.write(text, to: path) } catch {
            throw ReduceError(.write, "cannot write \(path): \(error); check free space and permissions")
        }
    }
}
