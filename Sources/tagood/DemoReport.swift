import Cluster
import Foundation
import Job
import Learning
import Reduce
import TagoodSupport

/// Steps 6 to 8 of the demo: a short class-center training run, the reduce, the report.
enum DemoReport {
    /// The demo's training run: 20 epochs of batch 32 (the authors: 100 of 256), and a center momentum of
    /// 0.9 (the authors' 0.999 is for ImageNet's ~500k steps; the demo takes 120).
    static var trainingOptions: TrainingOptions {
        var o = TrainingOptions()
        o.epochs = 20
        o.batch = 32
        o.centerMomentum = 0.9
        o.threads = 2
        return o
    }

    static func run(jobDirectory: JobDirectory, step: (Int, String) -> Void) throws {
        step(6, "train: class-center learning on train (tagood train --epochs 20 --batch 32 --center-momentum 0.9)")
        let trained = try Trainer.run(
            directory: jobDirectory, options: trainingOptions, start: .fresh,
            log: { print("   " + $0) })
        if let first = trained.epochs.first, let last = trained.epochs.last {
            print(
                "   loss \(Format.fixed(first.loss, 3)) → \(Format.fixed(last.loss, 3)), accuracy \(Format.fixed(first.accuracy * 100, 1))% → "
                    + "\(Format.fixed(last.accuracy * 100, 1))%, \(Format.fixed(last.samplesPerSecond, 0)) samples/s; \(trained.checkpoint)"
            )
        }
        step(7, "reduce: class centers from train, scores for val and the OOD sets")
        let outcome = try Reducer.run(
            directory: jobDirectory, options: ReduceOptions(),
            logger: Console.logger("tagood.reduce", prefix: "  "))
        for d in outcome.summary.datasets {
            let accuracy = d.top1Accuracy.map { ", nearest-center top-1 \(Format.fixed($0 * 100, 1))%" } ?? ""
            print("   \(d.name) (\(d.role)): \(d.images) images, \(d.noTokens) without tokens\(accuracy)")
        }
        step(8, "report")
        let builder = try ReportBuilder(directory: jobDirectory)
        try builder.write(to: jobDirectory)
        ReportCommand.printTables(builder.report, job: jobDirectory.path)
        print("   open \(jobDirectory.reportHTMLFile) in a browser for the ROC curves and histograms")
    }
}
