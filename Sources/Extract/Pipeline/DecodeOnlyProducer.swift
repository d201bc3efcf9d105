import Imaging
import Shards
import TagoodSupport

/// A producer that decodes and preprocesses every image but runs no model: each image is written with
/// its status and no tokens. It measures the cluster's own overhead (`make bench`) and checks a
/// dataset's images without a model.
public final class DecodeOnlyProducer: ShardProducer {
    public let modelName = "decode-only"
    public static let modelHash = "decode-only"
    public var modelHash: String { Self.modelHash }
    public let embedDim: Int
    public let imageTokens: Int
    private let settings: ExtractionSettings
    private let transform = TagOODTransform()

    public init(settings: ExtractionSettings, embedDim: Int = 512, imageTokens: Int = 145) {
        self.settings = settings
        self.embedDim = embedDim
        self.imageTokens = imageTokens
    }

    public func produce(_ work: ShardWork, progress: ProgressCounter) throws -> ShardWriteSummary {
        let source = try ImageSource.open(work)
        let writer = try work.makeWriter(options: settings.writerOptions(images: work.paths.count))
        let decoder = ImageDecoder(maxPixels: settings.maxPixels)
        let embedDim = work.metadata.embedDim, imageTokens = work.metadata.imageTokens
        var tensor = [Float](repeating: 0, count: transform.outputCount)
        for (index, (path, label)) in zip(work.paths, work.labels).enumerated() {
            if progress.isCancelled {
                writer.abandon()
                throw ProducerCancelled()
            }
            ExtractFailpoints.willProcess(imagePath: path)
            do {
                let decoded = try source.decode(index, path: path, with: decoder)
                transform.apply(decoded.image, into: &tensor)
                try writer.append(
                    ShardRecord(
                        path: path, label: label, tokens: [], tokenIndex: [],
                        globalEmbed: [Float](repeating: 0, count: embedDim), tagIDs: [], tagProbs: [],
                        attention: [Float](repeating: 0, count: imageTokens)))
            } catch let error as ImageError {
                try writer.append(
                    .failed(path: path, label: label, status: error.imageStatus, error: error.description))
            }
            progress.add(1)
        }
        return try writer.commit()
    }
}

extension ImageError {
    /// The shard status code for this decoding error.
    public var imageStatus: ImageStatus {
        kind == .unreadable ? .unreadable : .decodeFailed
    }
}
