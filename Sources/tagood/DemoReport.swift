import Cluster
import Foundation
import Reduce
import Job

/// Steps 6 and 7 of the demo: reduce the shards, write the report and print it.
enum DemoReport {
    static func run(jobDirectory: JobDirectory, step: (Int, String) -> Void) throws {
        step(6, "reduce: class centers from train, scores for val and the OOD sets")
        let outcome = try Reducer.run(jobPath: jobDirectory.path, options: ReduceOptions(), logger: Console.logger("tagood.reduce", prefix: "  "))
        for d in outcome.summary.datasets {
            let accuracy = d.top1Accuracy.map { ", nearest-center top-1 \(Format.fixed($0 * 100, 1))%" } ?? ""
            print("   \(d.name) (\(d.role)): \(d.images) images, \(d.noTokens) without tokens\(accuracy)")
        }
        step(7, "report")
        let builder = try ReportBuilder(jobPath: jobDirectory.path)
        try builder.write(jobPath: jobDirectory.path)
        ReportCommand.printTables(builder.report, job: jobDirectory.path)
        print("   open \(jobDirectory.path)/report/report.html in a browser for the ROC curves and histograms")
    }
}
