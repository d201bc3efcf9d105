import Job
import TagoodSupport

/// `tagood report JOB --export DIR`: every scored image of the job (the `id-val` and OOD sets), one row
/// each, with its dataset, role, group, path, label (-1 for OOD), the nearest center's class, whether it
/// had tokens, and one column per score, as `DIR/scores.csv` and `DIR/scores.npz` (one 1-D array per
/// column, as `np.savez` writes them).
///
/// Scores are higher for "more in-distribution", OpenOOD's `conf` convention, so OpenOOD v1.5's
/// `compute_all_metrics(conf, label, pred)` takes a score column, `label` and `predicted_class` as they are.
public enum ScoreExport {
    /// The column names before the scores.
    public static let fixedColumns = ["dataset", "role", "group", "path", "label", "predicted_class", "has_tokens"]

    /// Writes both files atomically; returns their paths.
    @discardableResult
    public static func write(_ builder: ReportBuilder, to folder: String) throws(ReduceError) -> [String] {
        let columns = builder.report.scoreColumns
        var dataset: [String] = [], role: [String] = [], group: [String] = [], path: [String] = []
        var label: [Int32] = [], predicted: [Int32] = [], hasTokens: [Bool] = []
        var scores = [[Double]](repeating: [], count: columns.count)
        for (d, file) in builder.scored {
            dataset += repeatElement(d.name, count: file.paths.count)
            role += repeatElement(d.role, count: file.paths.count)
            group += repeatElement(d.group ?? "", count: file.paths.count)
            path += file.paths.map { FileName.display($0) }
            label += file.labels
            predicted += file.predictedClass
            hasTokens += file.hasTokens
            for (i, c) in columns.enumerated() { scores[i] += file.column(c) }
        }
        var csv = (fixedColumns + columns.map(\.rawValue)).joined(separator: ",") + "\n"
        for r in path.indices {
            let fields = [
                dataset[r], role[r], group[r], path[r], String(label[r]), String(predicted[r]), hasTokens[r] ? "1" : "0"
            ]
            csv += fields.map(quoted).joined(separator: ",")
            for column in scores { csv += "," + String(column[r]) }
            csv += "\n"
        }
        var archive = StoredZip()
        let arrays: [(String, NPYArray)] =
            [
                ("dataset", NPYArray(dataset)), ("role", NPYArray(role)), ("group", NPYArray(group)),
                ("path", NPYArray(path)), ("label", NPYArray(label)), ("predicted_class", NPYArray(predicted)),
                ("has_tokens", NPYArray(hasTokens))
            ] + zip(columns, scores).map { ($0.rawValue, NPYArray($1)) }
        for (name, array) in arrays {
            guard archive.fits(array.bytes.count) else {
                throw ReduceError(.write, "the export is over 4 GiB, more than a plain .npz holds; use scores.csv")
            }
            archive.add(name + ".npy", array.bytes)
        }
        let files = [folder + "/scores.csv", folder + "/scores.npz"]
        do {
            try FileSystem.makeDirectories(folder)
            try AtomicFile.write(csv, to: files[0])
            try AtomicFile.write(archive.finished(), to: files[1])
        } catch {
            throw ReduceError(
                .write, "cannot write the export in \(folder): \(error); check free space and permissions")
        }
        return files
    }

    /// A CSV field, quoted when it holds a comma, a quote or a line break (RFC 4180).
    static func quoted(_ field: String) -> String {
        guard field.contains(where: { $0 == "," || $0 == "\"" || $0.isNewline }) else { return field }
        return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
