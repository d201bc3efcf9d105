import Foundation
import Job
import Reduce
import Shards
import TagoodSupport
import TagoodTestSupport
import Testing

/// Every score against numpy/scikit-learn (`tools/make_reduce_fixtures.py`): centers, TagOOD (both
/// variants), cosine, KNN (brute force), Mahalanobis (OpenOOD's recipe with sklearn's EmpiricalCovariance).
@Suite struct ReferenceTests {
    struct Record: Decodable { var label: Int32; var tokens: [[Float]]; var global: [Float]; var tag_probs: [Float] }
    struct Expected: Decodable {
        var centers: [[Double]]
        var top1_accuracy: Double
        var val: [String: [Double]]
        var ood: [String: [Double]]
    }
    struct Fixture: Decodable {
        var embed_dim: Int
        var classes: Int
        var knn_k: Int
        var datasets: [String: [Record]]
        var expected: Expected
    }

    static let fixture: Fixture = {
        let url = Bundle.module.url(forResource: "Fixtures/reduce_reference", withExtension: "json")!
        return try! JSONDecoder().decode(Fixture.self, from: Data(contentsOf: url))
    }()

    @Test func scoresMatchNumpyAndSklearn() throws {
        let f = Self.fixture
        func records(_ name: String) -> [Shards.ShardRecord] {
            f.datasets[name]!.enumerated().map { i, r in
                JobBuilder.image(
                    "\(name)/\(i).jpg", label: r.label, tokens: r.tokens, global: r.global, tagProbs: r.tag_probs)
            }
        }
        let classes = (0..<f.classes).map { "c\($0)" }
        let (tmp, job) = try JobBuilder.job(
            [
                .init(name: "train", role: .idTrain, classes: classes, records: records("train")),
                .init(name: "val", role: .idVal, classes: classes, records: records("val")),
                .init(name: "ood", role: .ood, records: records("ood"))
            ], imagesPerShard: 7, embedDim: f.embed_dim)
        defer { _ = tmp }
        let outcome = try Reducer.run(directory: JobDirectory(job), options: ReduceOptions(threads: 3, knnK: f.knn_k))
        #expect(outcome.summary.mahalanobisRidge == ["object": 0, "pooled": 0])
        #expect(outcome.summary.top1Accuracy == f.expected.top1_accuracy)

        let model = try CenterModel.read(path: job + "/reduce/centers.bin")
        for (c, row) in f.expected.centers.enumerated() {
            for (j, v) in row.enumerated() { #expect(abs(Double(model.centers[c * f.embed_dim + j]) - v) < 1e-6) }
        }
        for (dataset, expected) in [("val", f.expected.val), ("ood", f.expected.ood)] {
            let scores = try JobBuilder.scores(job, dataset)
            #expect(scores.column(.tagoodLearned).isEmpty, "no trained projector, no learned column")
            for column in ScoreColumn.allCases where column != .tagoodLearned {
                let want = expected[column.rawValue]!, got = scores.column(column)
                #expect(got.count == want.count)
                for (g, w) in zip(got, want) {
                    // Float32 features; Mahalanobis amplifies their rounding by the covariance's condition.
                    let tolerance = column.rawValue.hasPrefix("mahalanobis") ? 1e-4 * max(1, abs(w)) : 2e-6
                    #expect(abs(g - w) <= tolerance, "\(dataset) \(column.rawValue): \(g) vs reference \(w)")
                }
            }
        }
    }
}
