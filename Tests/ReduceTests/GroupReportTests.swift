import Foundation
import Job
import Reduce
import Shards
import TagoodSupport
import TagoodTestSupport
import Testing

/// OOD sets carrying `group:` get their group's mean of every metric in report.json, report.md,
/// report.html and the printed tables; `tagood report --export` writes every per-image score as CSV and
/// `.npz`, which Python reads back to the same values.
@Suite struct GroupReportTests {
    /// A reduced job whose OOD sets are grouped: near (two sets), far (one), and one set without a group.
    static func groupedJob() throws -> (TemporaryDirectory, String) {
        var rng = SplitMix64(seed: 5)
        func unit() -> Float { Float(rng.next() % 10_000) / 10_000 }
        func records(_ name: String, _ n: Int, label: (Int) -> Int32, shift: Float) -> [ShardRecord] {
            (0..<n).map { i in
                let center = JobBuilder.e(Int(max(label(i), 0)) % 4)
                return JobBuilder.image(
                    "\(name)/\(i),x.jpg", label: label(i), tokens: [center.map { $0 + shift * unit() }],
                    global: center, tagProbs: [0.5 + unit() / 2])
            }
        }
        let classes = ["a", "b", "c", "d"]
        let (tmp, job) = try JobBuilder.job(
            [
                .init(
                    name: "train", role: .idTrain, classes: classes,
                    records: records("train", 24, label: { Int32($0 % 4) }, shift: 0.2)),
                .init(
                    name: "val", role: .idVal, classes: classes,
                    records: records("val", 12, label: { Int32($0 % 4) }, shift: 0.3)),
                .init(
                    name: "near-a", role: .ood, records: records("near-a", 8, label: { _ in -1 }, shift: 1.0),
                    group: "near"),
                .init(
                    name: "far-a", role: .ood, records: records("far-a", 8, label: { _ in -1 }, shift: 3.0),
                    group: "far"),
                .init(
                    name: "near-b", role: .ood, records: records("near-b", 8, label: { _ in -1 }, shift: 1.5),
                    group: "near"),
                .init(name: "lone", role: .ood, records: records("lone", 8, label: { _ in -1 }, shift: 2.0))
            ], imagesPerShard: 8, embedDim: 4)
        _ = try Reducer.run(directory: JobDirectory(job), options: ReduceOptions(threads: 1, knnK: 3))
        return (tmp, job)
    }

    @Test func everyReportFormatHasTheGroupMeans() throws {
        let (tmp, job) = try Self.groupedJob()
        defer { _ = tmp }
        let builder = try ReportBuilder(directory: JobDirectory(job))
        try builder.write(to: JobDirectory(job))
        let report = builder.report
        #expect(report.groups.map(\.group) == ["near", "far"])
        #expect(report.groups.map(\.datasets) == [["near-a", "near-b"], ["far-a"]])
        #expect(report.ood.map(\.group) == ["near", "far", "near", nil])
        for column in report.scoreColumns.map(\.rawValue) {
            let a = report.ood[0].metrics[column]!, b = report.ood[2].metrics[column]!
            let near = report.groups[0].metrics[column]!
            #expect(abs(near.auroc - (a.auroc + b.auroc) / 2) < 1e-15)
            #expect(abs(near.fpr95OpenOOD - (a.fpr95OpenOOD + b.fpr95OpenOOD) / 2) < 1e-15)
            #expect(report.groups[1].metrics[column] == report.ood[1].metrics[column])
        }
        let json =
            try JSONSerialization.jsonObject(
                with: Data(contentsOf: URL(fileURLWithPath: job + "/report/report.json"))) as! [String: Any]
        let groups = json["groups"] as! [[String: Any]]
        #expect(groups.map { $0["group"] as! String } == ["near", "far"])
        #expect((groups[0]["metrics"] as! [String: [String: Double]])["tagood"]?["fpr95_openood"] != nil)
        let md = try String(contentsOfFile: job + "/report/report.md", encoding: .utf8)
        #expect(md.contains("| near (mean of 2) |") && md.contains("| far (mean of 1) |"))
        let html = try String(contentsOfFile: job + "/report/report.html", encoding: .utf8)
        #expect(html.contains("<td>near (mean of 2)</td>") && html.contains("<td>far (mean of 1)</td>"))
        #expect(
            try Report.self
                == type(
                    of: JSONDecoder().decode(
                        Report.self, from: Data(contentsOf: URL(fileURLWithPath: job + "/report/report.json")))))
    }

    @Test func theCLIPrintsGroupsAndExportsCSVAndNPZ() throws {
        let (tmp, job) = try Self.groupedJob()
        let export = tmp.path + "/export"
        let run = try TagoodProcess.run(["report", job, "--export", export])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("near (mean of 2)") && run.stdout.contains("far (mean of 1)"), "\(run.stdout)")
        #expect(run.stdout.contains("exported every score to \(export)/scores.csv and \(export)/scores.npz"))

        // Python's standard library reads both files and finds the same rows (and numpy, when present).
        let check = """
            import csv, io, json, struct, sys, zipfile, ast
            rows = list(csv.DictReader(open(sys.argv[1] + "/scores.csv", newline="")))
            z = zipfile.ZipFile(sys.argv[1] + "/scores.npz")
            def load(name):
                b = z.read(name + ".npy")
                assert b[:6] == b"\\x93NUMPY", name
                n = struct.unpack("<H", b[8:10])[0]
                h = ast.literal_eval(b[10:10 + n].decode())
                data, count, d = b[10 + n:], h["shape"][0], h["descr"]
                if d == "<f8": return list(struct.unpack("<%dd" % count, data))
                if d == "<i4": return list(struct.unpack("<%di" % count, data))
                if d == "|b1": return [x != 0 for x in data]
                w = int(d[2:])
                return ["".join(chr(c) for c in struct.unpack("<%dI" % w, data[i * 4 * w:(i + 1) * 4 * w]) if c) for i in range(count)]
            names = [n[:-4] for n in z.namelist()]
            cols = {n: load(n) for n in names}
            assert len(rows) == len(cols["path"]), (len(rows), len(cols["path"]))
            for i, r in enumerate(rows):
                for n in names:
                    v = cols[n][i]
                    if isinstance(v, float): assert float(r[n]) == v, (n, i)
                    elif isinstance(v, bool): assert r[n] == ("1" if v else "0")
                    else: assert r[n] == str(v), (n, i, r[n], v)
            try:
                import numpy as np
                f = np.load(sys.argv[1] + "/scores.npz")
                assert f["tagood"].dtype == np.float64 and f["label"].dtype == np.int32 and f["path"].shape == (len(rows),)
                assert list(f["tagood"]) == cols["tagood"] and list(f["path"]) == cols["path"]
            except ImportError:
                pass
            print(json.dumps({"rows": len(rows), "columns": names, "groups": sorted(set(cols["group"])),
                              "datasets": sorted(set(cols["dataset"])), "paths": cols["path"][:1]}))
            """
        let python = try TagoodProcess.runProgram("/usr/bin/env", ["python3", "-c", check, export])
        #expect(python.status == 0, "\(python.stderr)")
        let out = try JSONSerialization.jsonObject(with: Data(python.stdout.utf8)) as? [String: Any]
        #expect(out?["rows"] as? Int == 12 + 4 * 8, "val and every OOD set")
        #expect(out?["groups"] as? [String] == ["", "far", "near"])
        #expect(out?["datasets"] as? [String] == ["far-a", "lone", "near-a", "near-b", "val"])
        #expect(out?["paths"] as? [String] == ["val/0,x.jpg"], "a path with a comma survives the CSV")
        let columns = out?["columns"] as? [String] ?? []
        #expect(
            Array(columns.prefix(7)) == ScoreExport.fixedColumns && columns.contains("tagood")
                && columns.contains("knn"))
    }
}
