import Datasets
import Foundation
import Job
import Reduce
import TagoodSupport
import TagoodTestSupport
import Testing

/// The clear errors: a class without images, an OOD set without a readable image, no centers, an
/// unfinished job.
@Suite struct ErrorTests {
    static let g = JobBuilder.e(3)

    static func train(classes: [String] = ["a", "b"]) -> SyntheticJob.Dataset {
        .init(
            name: "train", role: .idTrain, classes: classes,
            records: [
                JobBuilder.image("a/0.jpg", label: 0, tokens: [[1, 0, 0, 0]], global: g, tagProbs: [0.9]),
                JobBuilder.image("b/0.jpg", label: 1, tokens: [[0, 1, 0, 0]], global: g, tagProbs: [0.9])
            ])
    }

    static let val = SyntheticJob.Dataset(
        name: "val", role: .idVal, classes: ["a", "b"],
        records: [
            JobBuilder.image("a/v.jpg", label: 0, tokens: [[1, 1, 0, 0]], global: g, tagProbs: [0.9])
        ])

    @Test func shardsOfTwoModelsAreRefused() throws {
        var val = Self.val
        val.modelName = "ram_plus_swin_l_384"
        var train = Self.train()
        train.modelName = "swin_l_384"
        let (tmp, job) = try JobBuilder.job([train, val], imagesPerShard: 4, embedDim: 4)
        defer { _ = tmp }
        let error = #expect(throws: ReduceError.self) {
            try Reducer.run(directory: JobDirectory(job), options: ReduceOptions(threads: 1))
        }
        #expect(error?.code == "reduce.mixed-models")
        #expect(
            error?.description.contains("ram_plus_swin_l_384") == true
                && error?.description.contains("by swin_l_384") == true)
        // One model throughout reduces.
        val.modelName = "swin_l_384"
        let (tmp2, same) = try JobBuilder.job([train, val], imagesPerShard: 4, embedDim: 4)
        defer { _ = tmp2 }
        _ = try Reducer.run(directory: JobDirectory(same), options: ReduceOptions(threads: 1))
    }

    @Test func classWithoutImagesIsAClearError() throws {
        let (tmp, job) = try JobBuilder.job(
            [Self.train(classes: ["a", "b", "zebra"]), Self.val], imagesPerShard: 4, embedDim: 4)
        defer { _ = tmp }
        let error = #expect(throws: ReduceError.self) {
            try Reducer.run(directory: JobDirectory(job), options: ReduceOptions(threads: 1))
        }
        #expect(error?.code == "reduce.empty-class")
        #expect(error?.description.contains("2 (zebra)") == true)
        #expect(error?.description.contains("train") == true)
    }

    @Test func classWhoseImagesAllFailedIsAClearError() throws {
        var train = Self.train()
        train.records[1] = JobBuilder.failed("b/0.jpg", label: 1)
        let (tmp, job) = try JobBuilder.job([train, Self.val], imagesPerShard: 4, embedDim: 4)
        defer { _ = tmp }
        let error = #expect(throws: ReduceError.self) {
            try Reducer.run(directory: JobDirectory(job), options: ReduceOptions(threads: 1))
        }
        #expect(error?.code == "reduce.empty-class")
        #expect(error?.description.contains("1 (b)") == true)
    }

    @Test func oodDatasetWithoutReadableImagesIsAClearError() throws {
        let ood = SyntheticJob.Dataset(
            name: "textures", role: .ood,
            records: [
                JobBuilder.failed("x.jpg", label: -1), JobBuilder.failed("y.jpg", label: -1)
            ])
        let (tmp, job) = try JobBuilder.job([Self.train(), Self.val, ood], imagesPerShard: 4, embedDim: 4)
        defer { _ = tmp }
        let error = #expect(throws: ReduceError.self) {
            try Reducer.run(directory: JobDirectory(job), options: ReduceOptions(threads: 1))
        }
        #expect(error?.code == "reduce.empty-dataset")
        #expect(error?.description.contains("textures") == true)
        #expect(error?.description.contains("all 2 images failed") == true)
    }

    @Test func jobWithoutTrainingDataNeedsCentersFrom() throws {
        let (tmp, job) = try JobBuilder.job([Self.val], imagesPerShard: 4, embedDim: 4)
        defer { _ = tmp }
        let error = #expect(throws: ReduceError.self) {
            try Reducer.run(directory: JobDirectory(job), options: ReduceOptions(threads: 1))
        }
        #expect(error?.code == "reduce.no-centers")
        #expect(error?.description.contains("--centers-from") == true)
    }

    @Test func uncommittedShardIsAClearError() throws {
        let (tmp, job) = try JobBuilder.job([Self.train(), Self.val], imagesPerShard: 1, embedDim: 4)
        defer { _ = tmp }
        // Drop the journal's last commit (train shard 1) as if the job had not finished.
        let lines = try String(contentsOfFile: job + "/journal.jsonl", encoding: .utf8).split(separator: "\n")
        let kept = lines.filter { !($0.contains("\"committed\"") && $0.contains("\"dataset\":\"train\",\"index\":1")) }
        #expect(kept.count == lines.count - 1)
        try (kept.joined(separator: "\n") + "\n").write(
            toFile: job + "/journal.jsonl", atomically: true, encoding: .utf8)
        let error = #expect(throws: ReduceError.self) {
            try Reducer.run(directory: JobDirectory(job), options: ReduceOptions(threads: 1))
        }
        #expect(error?.code == "reduce.incomplete")
        #expect(error?.description.contains("train/1") == true)
    }

    @Test func reportBeforeReduceIsAClearError() throws {
        let (tmp, job) = try JobBuilder.job([Self.train(), Self.val], imagesPerShard: 4, embedDim: 4)
        defer { _ = tmp }
        let error = #expect(throws: ReduceError.self) { try ReportBuilder(directory: JobDirectory(job)) }
        #expect(error?.code == "reduce.not-reduced")
    }
}
