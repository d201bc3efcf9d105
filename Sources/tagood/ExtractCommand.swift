import ArgumentParser
import Datasets
import Extract
import Foundation
import Model
import Shards
import TagoodSupport
import Tensor

/// `tagood extract`: the whole RAM + TagOOD extraction for one folder, in one process, into one shard.
struct ExtractCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "extract",
        abstract: "Run RAM and TagOOD token selection on one folder of images and write one HDF5 shard.",
        discussion: """
            No cluster, no journal: one process, one folder, one shard — for trying a model or a threshold, \
            or debugging a dataset. With --role id the folder is an ImageFolder (<images>/<class>/<image>) \
            and labels are the class indices; with --role ood every image under the folder is OOD (label -1).

            Example (a random-weight Swin-L, RAM's tag list, ImageNet's class → tag map):
              tagood model init --config swin_l_384 --seed 1 -o /tmp/ram.safetensors
              tagood extract --config swin_l_384 --weights /tmp/ram.safetensors \\
                  --tags data/ram/ram_tag_list.txt --class-tags data/ram/imagenet_class_tags.txt \\
                  --role ood --images photos/ --out photos.h5
            """
    )

    enum Role: String, ExpressibleByArgument { case id, ood }

    @Option(help: "Model config: a built-in name (swin_l_384, swin_b_384, …) or a RAM-format .json.") var config: String
    @Option(help: "Weights: .safetensors or a PyTorch .pth/.pt checkpoint.") var weights: String
    @Option(help: "The tag list (one tag per line; data/ram/ram_tag_list.txt for RAM).") var tags: String
    @Option(help: "The class → tag map of the ID classes (data/ram/imagenet_class_tags.txt).") var classTags: String
    @Option(help: "id (ImageFolder, labelled) or ood (any folder, label -1).") var role: Role
    @Option(help: "The folder of images.") var images: String
    @Option(help: "The shard to write.") var out: String
    @Option(help: "Token storage: f16 or f32.") var dtype: String = "f16"
    @Option(help: "Images per forward pass.") var batch: Int = 8
    @Option(help: "Tag probability threshold.") var threshold: Double = 0.5
    @Option(help: "Attention threshold for keeping a token.") var attentionThreshold: Double = 0.5
    @Option(help: "Decoding threads.") var decodeThreads: Int = 2

    @Flag(
        help:
            "Also compute and store every tag's probability of every image (all_tag_probs; about half a forward pass more per image)."
    )
    var allTagProbs = false
    @Option(help: "OpenBLAS threads (default: all cores).") var threads: Int?
    @OptionGroup(title: "GPU") var gpuOptions: GPUOptions

    mutating func run() throws {
        guard let tokenDType = TokenDType(name: dtype) else { throw ValidationError("--dtype must be f16 or f32") }
        var settings = ExtractionSettings()
        settings.tokenDType = tokenDType
        settings.batchSize = batch
        settings.tagThreshold = threshold
        settings.attentionThreshold = attentionThreshold
        settings.decodeThreads = decodeThreads
        settings.allTagProbs = allTagProbs
        BLAS.setThreadCount(threads ?? ProcessInfo.processInfo.activeProcessorCount)

        // A run killed outright left its temporary shard; a signal now removes this run's on the way out.
        for path in OutputTemporaries.removeLeftovers(of: out) { print("removed \(path), left by a killed run") }
        OutputTemporaries.removeOnSignal(of: out)
        if let index = gpuOptions.index { setenv("CUDA_VISIBLE_DEVICES", String(index), 1) }
        let makeBackend = try gpuOptions.backendMaker()
        let started = Date()
        let producer = try ModelProducer.load(
            config: config, weights: weights, tags: self.tags, classTags: classTags, settings: settings,
            makeBackend: makeBackend)
        let loaded = Date().timeIntervalSince(started)
        let list = try DirectoryScanner.scan(root: images, layout: role == .id ? .imageFolder : .nested)
        let labels = role == .id ? list.labels : [Int32](repeating: -1, count: list.count)
        print(
            "model \(producer.modelName) (\(producer.modelHash)) on \(producer.device ?? "cpu") loaded in \(Format.fixed(loaded, 1)) s; \(Format.count(list.count)) images in \(images)"
        )

        let planned = try ShardPlan.plan(
            DatasetSpec(
                name: "extract", role: role == .id ? .idVal : .ood,
                layout: role == .id ? .imageFolder : .nested, root: images),
            images: ImageList(paths: list.paths, labels: labels, classes: list.classes),
            imagesPerShard: max(1, list.count))
        let metadata = producer.metadata(
            jobID: "extract", datasetHash: planned.hash, shardIndex: 0,
            dataset: Path.basename(of: images), role: role == .id ? .idVal : .ood,
            settings: settings)
        let work = ShardWork(
            metadata: metadata, attempt: 1, root: images, paths: list.paths, labels: labels, output: .file(out))
        let progress = ProgressCounter()
        // Report progress every few seconds while the producer works (on this thread).
        let total = list.count
        let reporter = Thread {
            var lastPrint = Date()
            while !Thread.current.isCancelled {
                Thread.sleep(forTimeInterval: 0.2)
                let done = progress.current
                if done < total && Date().timeIntervalSince(lastPrint) >= 5 {
                    lastPrint = Date()
                    let rate = Double(done) / Date().timeIntervalSince(started)
                    FileHandle.standardError.write(
                        Data("extract: \(done)/\(total) images, \(Format.fixed(rate, 2)) images/s\n".utf8))
                }
            }
        }
        reporter.start()
        defer { reporter.cancel() }
        let summary = try producer.produce(work, progress: progress)
        let seconds = Date().timeIntervalSince(started) - loaded
        print(
            "wrote \(out): \(Format.count(summary.images)) images (\(summary.failedImages) unreadable), "
                + "\(Format.count(summary.tokens)) tokens, \(Format.count(summary.tags)) tags in \(Format.fixed(seconds, 1)) s "
                + "(\(Format.fixed(Double(summary.images) / max(seconds, 1e-9), 2)) images/s)")
        print("checksum \(summary.fileChecksum); inspect it with: tagood inspect \(out)")
    }
}
