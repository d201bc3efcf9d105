import Foundation
import Job
import Reduce
import TagoodSupport
import TagoodTestSupport
import Testing

/// A hand-made job whose centers and scores are known in closed form (d = 4, two classes).
///
/// id-train: class 0 = two images whose token means point along e0; class 1 = one along e1, one along
/// e2. So center_0 = e0 and center_1 = (e1 + e2)/√2. id-val: e0 with tags {0.9, 0.5}; e1 with {0.8};
/// one failed image. OOD: e3 with {0.7}; one image without tokens or tags whose pooled feature is e0; one
/// failed image.
@Suite struct ClosedFormTests {
    static func makeJob() throws -> (AnyObject, String) {
        let e = { (i: Int) in JobBuilder.e(i) }
        let g = JobBuilder.e(3)
        let (tmp, path) = try JobBuilder.job(
            [
                .init(
                    name: "train", role: .idTrain, classes: ["a", "b"],
                    records: [
                        JobBuilder.image("a/0.jpg", label: 0, tokens: [[2, 0, 0, 0]], global: g, tagProbs: [0.9]),
                        JobBuilder.image(
                            "a/1.jpg", label: 0, tokens: [[1, 0, 0, 0], [3, 0, 0, 0]], global: g, tagProbs: [0.9]),
                        JobBuilder.image("b/0.jpg", label: 1, tokens: [[0, 5, 0, 0]], global: g, tagProbs: [0.9]),
                        JobBuilder.image("b/1.jpg", label: 1, tokens: [[0, 0, 1, 0]], global: g, tagProbs: [0.9])
                    ]),
                .init(
                    name: "val", role: .idVal, classes: ["a", "b"],
                    records: [
                        JobBuilder.image("a/v0.jpg", label: 0, tokens: [[3, 0, 0, 0]], global: g, tagProbs: [0.9, 0.5]),
                        JobBuilder.image(
                            "b/v1.jpg", label: 1, tokens: [e(1).map { $0 * 2 }], global: g, tagProbs: [0.8]),
                        JobBuilder.failed("b/v2.jpg", label: 1)
                    ]),
                .init(
                    name: "ood", role: .ood,
                    records: [
                        JobBuilder.image("o0.jpg", label: -1, tokens: [[0, 0, 0, 4]], global: g, tagProbs: [0.7]),
                        JobBuilder.image("o1.jpg", label: -1, tokens: [], global: [2, 0, 0, 0], tagProbs: []),
                        JobBuilder.failed("o2.jpg", label: -1)
                    ])
            ], imagesPerShard: 2, embedDim: 4)
        return (tmp, path)
    }

    @Test func centersAndScoresMatchTheClosedForm() throws {
        let (tmp, job) = try Self.makeJob()
        defer { _ = tmp }
        let outcome = try Reducer.run(directory: JobDirectory(job), options: ReduceOptions(threads: 2, knnK: 1))
        #expect(outcome.builtPartials == 6) // 2 train + 2 val + 2 ood shards
        let model = try CenterModel.read(path: job + "/reduce/centers.bin")
        let r = Float(0.5).squareRoot()
        let expected: [Float] = [1, 0, 0, 0, 0, r, r, 0]
        for (a, b) in zip(model.centers, expected) { #expect(abs(a - b) < 1e-6) }
        #expect(model.objectCounts == [2, 2])
        #expect(model.bankSize == 4)

        let val = try JobBuilder.scores(job, "val")
        #expect(val.paths == ["a/v0.jpg", "b/v1.jpg"])
        #expect(val.predictedClass == [0, 1])
        close(val.column(.tagood), [0.9, 0.8 * Double(r)])
        close(val.column(.tagoodSymmetric), [0.9, 0.8 * Double(r)])
        close(val.column(.maxTagProb), [0.9, 0.8])
        close(val.column(.cosine), [1, Double(r)])
        close(val.column(.knn), [0, 0])

        let ood = try JobBuilder.scores(job, "ood")
        #expect(ood.paths == ["o0.jpg", "o1.jpg"])
        #expect(ood.hasTokens == [true, false])
        close(ood.column(.tagood), [0, 0])
        close(ood.column(.tagoodSymmetric), [0, 0.68]) // no tags stored: cos(pooled e0, e0) × tag_threshold
        close(ood.column(.maxTagProb), [0.7, 0])
        close(ood.column(.cosine), [0, 1])
        close(ood.column(.knn), [-(2.0).squareRoot(), 0])

        let summary = outcome.summary
        #expect(summary.top1Accuracy == 1)
        let valEntry = summary.datasets.first { $0.name == "val" }!
        #expect(valEntry.images == 3 && valEntry.failed == 1 && valEntry.noTokens == 0 && valEntry.scored == 2)
        let oodEntry = summary.datasets.first { $0.name == "ood" }!
        #expect(oodEntry.images == 3 && oodEntry.failed == 1 && oodEntry.noTokens == 1 && oodEntry.scored == 2)
        // Four training features in two classes span a rank-1 within-class covariance: the ridge is reported.
        #expect(summary.mahalanobisRidge["object"]! > 0)
        #expect(summary.notes.contains { $0.contains("ridge") })
        for v in val.column(.mahalanobisObject) + ood.column(.mahalanobisPooled) { #expect(v.isFinite && v <= 0) }
    }

    @Test func knnWithLargerK() throws {
        let (tmp, job) = try Self.makeJob()
        defer { _ = tmp }
        _ = try Reducer.run(directory: JobDirectory(job), options: ReduceOptions(threads: 1, knnK: 2))
        close(try JobBuilder.scores(job, "val").column(.knn), [0, -(2.0).squareRoot()])
        close(try JobBuilder.scores(job, "ood").column(.knn), [-(2.0).squareRoot(), 0])
        // k larger than the bank: clamped, and said so.
        let outcome = try Reducer.run(directory: JobDirectory(job), options: ReduceOptions(threads: 1, knnK: 50))
        #expect(outcome.summary.knnK == 4)
        #expect(outcome.summary.notes.contains { $0.contains("k = 50") })
        #expect(outcome.builtPartials == 0)
    }

    func close(
        _ a: [Double], _ b: [Double], _ tolerance: Double = 1e-6, sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect(a.count == b.count, sourceLocation: sourceLocation)
        for (x, y) in zip(a, b) { #expect(abs(x - y) < tolerance, "\(a) vs \(b)", sourceLocation: sourceLocation) }
    }
}
