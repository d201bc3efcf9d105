import Foundation
import TagoodSupport
import TagoodTestSupport
import Testing

@Suite struct MetricsCommandTests {
    @Test func computesMetricsFromScoreFiles() throws {
        let dir = try TemporaryDirectory(prefix: "tagood-metrics")
        // The "tiny" sklearn case: auroc 0.75, fpr95_openood 0.5.
        try "0.8\n# comment\n0.4\n".write(toFile: dir.path + "/id.txt", atomically: true, encoding: .utf8)
        try "0.5\n0.1\n\n0.4\n".write(toFile: dir.path + "/ood.txt", atomically: true, encoding: .utf8)
        let result = try TagoodProcess.run([
            "metrics", "--id", dir.path + "/id.txt", "--ood", dir.path + "/ood.txt", "--json"
        ])
        #expect(result.status == 0, "\(result.stderr)")
        let json = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as! [String: Double]
        #expect(json["auroc"] == 0.75)
        #expect(json["fpr95_openood"] == 0.5)
        let table = try TagoodProcess.run(["metrics", "--id", dir.path + "/id.txt", "--ood", dir.path + "/ood.txt"])
        #expect(table.stdout.contains("AUROC") && table.stdout.contains("75.00%"))
    }

    @Test func aBadLineIsNamed() throws {
        let dir = try TemporaryDirectory(prefix: "tagood-metrics")
        try "0.8\nabc\n".write(toFile: dir.path + "/id.txt", atomically: true, encoding: .utf8)
        try "0.1\n".write(toFile: dir.path + "/ood.txt", atomically: true, encoding: .utf8)
        let result = try TagoodProcess.run(["metrics", "--id", dir.path + "/id.txt", "--ood", dir.path + "/ood.txt"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("id.txt line 2"))
    }
}
