import Extract
import Foundation
import Imaging
import Model
import Shards
import TagoodSupport
import Tensor
import Testing

/// The compute-backend seam: the producer keeps one batch in flight (submit k + 1, then finish k), in order,
/// never more than two at once, batches no larger than the backend takes, unreadable images left out of
/// them and still written in the plan's order; and whatever the batching, the shard is the same.
@Suite struct BackendPipelineTests {
    static let model = RAMModel(weights: RAMWeights.random(config: .testShift, seed: 5))
    static let idTags = [2, 3, 7, 11, 20]

    /// The CPU backend with a log of the calls the producer makes, and a fault to inject: the `failOn`-th
    /// finish throws (as a device error would).
    final class LoggingBackend: ExtractionBackend, @unchecked Sendable {
        let inner: CPUBackend
        let failOn: Int?
        var log: [String] = []
        var open: [Int] = []
        var mostOpen = 0
        var submitted = 0, finished = 0

        init(maxBatch: Int, failOn: Int? = nil) {
            inner = CPUBackend(
                model: BackendPipelineTests.model, idTags: BackendPipelineTests.idTags, allTagProbs: false,
                maxBatch: maxBatch)
            self.failOn = failOn
        }

        var config: RAMConfig { inner.config }
        var device: String { "logged " + inner.device }
        var idTags: [Int] { inner.idTags }
        var computesAllTags: Bool { inner.computesAllTags }
        var maxBatch: Int { inner.maxBatch }

        func submit(_ images: Tensor) throws -> SubmittedBatch {
            let batch = try inner.submit(images)
            let slot = submitted
            submitted += 1
            open.append(slot)
            mostOpen = max(mostOpen, open.count)
            log.append("submit \(slot) (\(batch.count))")
            return SubmittedBatch(count: batch.count, slot: slot, images: batch.images)
        }

        func finish(_ batch: SubmittedBatch, selector: TokenSelector) throws -> [ImageExtraction] {
            #expect(open.first == batch.slot, "finished in submission order")
            open.removeAll { $0 == batch.slot }
            finished += 1
            log.append("finish \(batch.slot)")
            if finished == failOn { throw ExtractError(.badInput, "injected device failure") }
            return try inner.finish(batch, selector: selector)
        }

        func discard(_ batch: SubmittedBatch) {
            open.removeAll { $0 == batch.slot }
            log.append("discard \(batch.slot)")
        }
    }

    /// Seven images, the third and sixth unreadable.
    static func images() throws -> (folder: TemporaryDirectory, paths: [String]) {
        let folder = try TemporaryDirectory(prefix: "tagood-pipeline")
        var paths: [String] = []
        for i in 0..<7 {
            let name = "image-\(i).jpg"
            if i == 2 || i == 5 {
                try Data("not an image \(i)".utf8).write(to: URL(fileURLWithPath: folder.path + "/" + name))
            } else {
                let (w, h) = (90 + 7 * i, 80)
                let pixels = (0..<(w * h * 3)).map { UInt8(truncatingIfNeeded: ($0 * (i + 3)) % 251) }
                try RGBImage(width: w, height: h, pixels: pixels).writeJPEG(to: folder.path + "/" + name)
            }
            paths.append(name)
        }
        return (folder, paths)
    }

    static func extract(
        _ backend: any ExtractionBackend, batch: Int, folder: String, paths: [String]
    ) throws
        -> [ShardImage]
    {
        var settings = ExtractionSettings()
        settings.batchSize = batch
        let producer = try ModelProducer(backend: backend, modelHash: "test", settings: settings)
        let out = folder + "/shard-\(batch)-\(UUID().uuidString).h5"
        let metadata = producer.metadata(
            jobID: "test", datasetHash: "test", shardIndex: 0, dataset: "test", role: .ood, settings: settings)
        _ = try producer.produce(
            ShardWork(
                metadata: metadata, attempt: 1, root: folder, paths: paths, labels: paths.map { _ in -1 },
                output: .file(out)),
            progress: ProgressCounter())
        var images: [ShardImage] = []
        try ShardReader(path: out).forEach { images.append($0) }
        return images
    }

    @Test func oneBatchStaysInFlightAndTheShardIsTheSameWhateverTheBatching() throws {
        let (folder, paths) = try Self.images()
        let reference = try Self.extract(
            CPUBackend(model: Self.model, idTags: Self.idTags, allTagProbs: false), batch: 1, folder: folder.path,
            paths: paths)
        #expect(reference.map(\.path) == paths, "rows in the plan's order")
        #expect(reference.filter { !$0.status.isOK }.map(\.path) == ["image-2.jpg", "image-5.jpg"])
        for (batch, maxBatch) in [(3, 8), (8, 2), (2, 2)] {
            let backend = LoggingBackend(maxBatch: maxBatch)
            let images = try Self.extract(backend, batch: batch, folder: folder.path, paths: paths)
            #expect(images.map(\.record) == reference.map(\.record), "batch \(batch), backend max \(maxBatch)")
            #expect(backend.mostOpen <= 2, "\(backend.log)")
            #expect(backend.submitted == backend.finished && backend.open.isEmpty, "\(backend.log)")
            let sizes = backend.log.compactMap { $0.hasPrefix("submit") ? $0.split(separator: "(").last : nil }
                .map { Int($0.dropLast())! }
            #expect(sizes.allSatisfy { $0 <= min(batch, maxBatch) }, "\(backend.log)")
            #expect(sizes.reduce(0, +) == 5, "the two unreadable images are never submitted: \(backend.log)")
            // Batch k + 1 is submitted before batch k is finished.
            if backend.submitted > 1 {
                #expect(Array(backend.log.prefix(2)) == ["submit 0 (\(sizes[0]))", "submit 1 (\(sizes[1]))"])
            }
        }
    }

    @Test func aBackendFailureGivesBackTheBatchInFlight() throws {
        let (folder, paths) = try Self.images()
        let backend = LoggingBackend(maxBatch: 2, failOn: 1)
        #expect(throws: ExtractError.self) { try Self.extract(backend, batch: 2, folder: folder.path, paths: paths) }
        #expect(backend.log == ["submit 0 (2)", "submit 1 (1)", "finish 0", "discard 1"])
        #expect(backend.open.isEmpty, "nothing is left on the backend for the next shard")
    }

    @Test func theSelectorMustBeTheBackendsOwn() throws {
        let backend = CPUBackend(model: Self.model, idTags: Self.idTags, allTagProbs: false)
        let batch = try backend.submit(Tensor(shape: [1, 3, 96, 96], repeating: 0.1))
        let other = TokenSelector(idTags: [1], inDistribution: true)
        #expect(throws: ExtractError.self) { try backend.finish(batch, selector: other) }
    }
}
