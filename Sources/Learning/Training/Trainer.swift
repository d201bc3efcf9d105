import Foundation
import Job
import Model
import TagoodSupport
import Tensor

/// `tagood train`: class-center learning on a finished job's `id-train` shards, one checkpoint an epoch.
///
/// Epoch e streams the shards through a ``ShuffledStream`` seeded by (seed, e), cuts it into batches of
/// `batch` (the last one smaller) and takes one ``TrainingStep`` each; the cosine schedule spans
/// epochs × steps per epoch. After each epoch `train/checkpoint.safetensors` is replaced atomically and
/// `train/history.jsonl` gets the epoch's line. A killed run loses at most the epoch in progress:
/// `--resume` restarts it from the last checkpoint and, the stream and the dropout masks being functions of
/// the seed, the epoch and the step, continues bit for bit as if it had never stopped.
public enum Trainer {
    /// How a run starts.
    public enum Start: Sendable, Equatable {
        /// New weights from the seed.
        case fresh
        /// Weights (and centers, when present) from a PyTorch state dict of the authors' Classifier.
        case initialise(String)
        /// The last checkpoint of this job.
        case resume
    }

    /// Where a run is, for the progress bar.
    public struct Progress: Sendable {
        public var epoch: Int, epochs: Int
        public var step: Int, stepsPerEpoch: Int
        /// Means over the epoch so far.
        public var loss: Double, accuracy: Double
        public var lr: Double
        public var samplesPerSecond: Double
    }

    /// One epoch's line of `train/history.jsonl`.
    public struct EpochRecord: Sendable, Codable, Equatable {
        public var epoch: Int
        public var steps: Int
        public var samples: Int
        public var loss: Double
        public var crossEntropy: Double
        public var centerLoss: Double
        public var accuracy: Double
        public var lr: Double
        public var seconds: Double
        public var samplesPerSecond: Double

        enum CodingKeys: String, CodingKey {
            case epoch, steps, samples, loss, crossEntropy = "cross_entropy", centerLoss = "center_loss", accuracy, lr,
                seconds
            case samplesPerSecond = "samples_per_s"
        }
    }

    /// What a run did.
    public struct Outcome: Sendable {
        public var checkpoint: String
        public var data: TrainingShards
        public var config: ProjectorConfig
        public var options: TrainingOptions
        /// The epochs this run trained, and the epochs done in all.
        public var epochs: [EpochRecord]
        public var epochsDone: Int
        public var resumedFrom: Int?
    }

    /// Trains the projector of the job in `jobDirectory`. `progress` is called after every step; `log`
    /// gets one line per event worth a line. With `pthEvery` > 0 the authors' checkpoints are written too
    /// (``AuthorsCheckpoint``, in `train/pth/`): `checkpoint_init.pth` at the start and `checkpoint_<epoch>.pth`
    /// after every `pthEvery`-th epoch and the last one.
    public static func run(
        directory jobDirectory: JobDirectory, options requested: TrainingOptions, start: Start, pthEvery: Int = 0,
        progress: (Progress) -> Void = { _ in }, log: (String) -> Void = { _ in }
    ) throws(LearningError) -> Outcome {
        if let problem = requested.problem { throw LearningError(.option, problem) }
        BLAS.setThreadCount(requested.threads)
        let snapshot: JobSnapshot
        do { snapshot = try JobSnapshot(path: jobDirectory.path) } catch {
            throw LearningError(.job, error.message, subject: error.subject, remedy: error.remedy)
        }
        let directory = snapshot.directory
        do { try FileSystem.makeDirectories(directory.trainFolder) } catch {
            throw LearningError(
                .write, "cannot create \(directory.trainFolder): \(error)", subject: directory.trainFolder)
        }
        let checkpointPath = directory.trainCheckpointFile
        // A run killed while it wrote its checkpoint, history or data index left the temporary file:
        // nothing will rename it.
        for name in removeTemporaryFiles(in: directory.trainFolder) { log("removed \(name), left by a killed run") }
        for name in removeTemporaryFiles(in: directory.trainPthFolder) {
            log("removed pth/\(name), left by a killed run")
        }
        let data = try TrainingShards.open(snapshot, indexPath: directory.trainDataIndexFile) { done, total in
            if done == total || done % 50 == 0 { log("counted \(done)/\(total) id-train shards") }
        }

        // The run's options, shape and state: new, from a PyTorch file, or from the checkpoint.
        var options = requested
        var config = ProjectorConfig(
            inputWidth: data.embedDim, heads: options.heads, maxTokens: max(145, data.longest),
            classes: data.classes, dropout: options.dropout)
        var restored: (TrainingCheckpoint, StateDict)?
        var initial: StateDict?
        switch start {
        case .fresh:
            guard !FileSystem.exists(checkpointPath) else {
                throw LearningError(
                    .checkpoint, "\(checkpointPath) exists: this job has been trained before", subject: checkpointPath,
                    remedy: "pass --resume to continue it, or --restart to train again from scratch")
            }
        case .initialise(let path):
            let stateDict: StateDict
            do { stateDict = try StateDict.load(path: path) } catch {
                throw LearningError(.checkpoint, "cannot read \(path): \(error)", subject: path)
            }
            if stateDict.metadata["format"] == TrainingCheckpoint.format {
                try TrainingCheckpoint.verifyChecksum(path: path)
            }
            config = try ProjectorConfig.inferred(from: stateDict, heads: options.heads)
            config.dropout = options.dropout
            initial = stateDict
        case .resume:
            guard FileSystem.exists(checkpointPath) else {
                throw LearningError(
                    .checkpoint, "\(checkpointPath) does not exist: there is nothing to resume",
                    subject: checkpointPath,
                    remedy: "run `tagood train \(jobDirectory.path)` without --resume")
            }
            let (checkpoint, stateDict) = try TrainingCheckpoint.read(path: checkpointPath)
            guard data.isIdentity(checkpoint.dataIdentity) else {
                throw LearningError(
                    .checkpoint, "\(checkpointPath) was trained on other id-train shards than the job has now",
                    subject: checkpointPath,
                    remedy: "pass --restart to train again on the current shards")
            }
            if requested.epochs != checkpoint.options.epochs && requested.epochs != TrainingOptions().epochs {
                throw LearningError(
                    .option,
                    "--epochs \(requested.epochs) differs from the checkpoint's \(checkpoint.options.epochs): "
                        + "the cosine schedule spans the run's epochs, so a resumed run keeps them",
                    subject: checkpointPath,
                    remedy: "resume without --epochs, or --restart with the new count")
            }
            options = checkpoint.options
            options.threads = requested.threads
            config = checkpoint.config
            restored = (checkpoint, stateDict)
        }
        if let problem = config.problem { throw LearningError(.option, "the projector cannot be built: \(problem)") }
        guard config.classes == data.classes, config.inputWidth == data.embedDim, config.maxTokens >= data.longest
        else {
            throw LearningError(
                .checkpoint,
                "the projector (\(config.classes) classes, tokens \(config.inputWidth) wide, at most \(config.maxTokens)) "
                    + "does not fit the job's data (\(data.classes) classes, embed_dim \(data.embedDim), up to \(data.longest) tokens)"
            )
        }

        let stepsPerEpoch = (data.usable + options.batch - 1) / options.batch
        let projector = Projector<Float>(config: config)
        let centers = ClassCenters<Float>(classes: config.classes, width: config.width)
        centers.momentum = options.centerMomentum
        let step = TrainingStep(
            projector: projector, centers: centers,
            optimiser: AdamW(weightDecay: options.weightDecay),
            schedule: CosineSchedule(
                baseLR: options.lr, minimumLR: options.minimumLR, totalSteps: options.epochs * stepsPerEpoch))
        step.centerWeight = options.centerWeight
        var firstEpoch = 0
        var history = readHistory(directory.trainHistoryFile)
        if let (checkpoint, stateDict) = restored {
            try TrainingCheckpoint.restore(stateDict, into: step)
            step.steps = checkpoint.steps
            step.schedule = CosineSchedule(
                baseLR: options.lr, minimumLR: options.minimumLR, totalSteps: options.epochs * stepsPerEpoch,
                position: checkpoint.schedulePosition, lr: checkpoint.lr)
            firstEpoch = checkpoint.epochsDone
            guard checkpoint.rngState == ShuffledStream.epochSeed(seed: options.seed, epoch: firstEpoch) else {
                throw LearningError(
                    .checkpoint, "\(checkpointPath): its RNG state does not follow from its seed and epoch",
                    subject: checkpointPath)
            }
            history = Array(history.prefix(firstEpoch))
            log("resuming after epoch \(firstEpoch) of \(options.epochs) (step \(checkpoint.steps))")
        } else {
            projector.parameters.initialise(config: config, seed: options.seed)
            centers.initialise(seed: options.seed &+ 1)
            if let initial {
                try projector.parameters.load(from: initial)
                if initial.tensors["centers"] != nil || initial.tensors["ema"] != nil {
                    try TrainingCheckpoint.loadCenters(initial, into: centers)
                }
                log("initial weights from \(initial.path)")
            }
            history = []
        }
        if pthEvery > 0 {
            try preparePthFolder(directory, fresh: restored == nil, config: config, seed: options.seed, projector, log)
        }
        log(
            "training on \(data.usable) images of \(data.shards.count) shards (\(data.noTokens) without tokens and \(data.failed) failed skipped), "
                + "\(data.classes) classes; \(stepsPerEpoch) steps of \(options.batch) per epoch")

        var trained: [EpochRecord] = []
        let batch = ProjectorBatch<Float>(inputWidth: config.inputWidth)
        let delay = Failpoints.integer("delay-per-train-step-ms")
        let clock = ContinuousClock()
        for epoch in firstEpoch..<options.epochs {
            var stream = ShuffledStream(data: data, seed: options.seed, epoch: epoch, bufferSize: options.shuffleBuffer)
            var record = EpochRecord(
                epoch: epoch + 1, steps: 0, samples: 0, loss: 0, crossEntropy: 0, centerLoss: 0, accuracy: 0,
                lr: step.schedule.lr, seconds: 0, samplesPerSecond: 0)
            var correct = 0
            let started = clock.now
            func take() {
                let outcome = step.run(batch, dropout: .init(seed: options.seed, step: UInt64(step.steps)))
                let n = Double(batch.count)
                record.steps += 1
                record.samples += batch.count
                record.loss += outcome.loss * n
                record.crossEntropy += outcome.crossEntropy * n
                record.centerLoss += outcome.centerLoss * n
                correct += outcome.correct
                batch.removeAll()
                let seconds = seconds(clock.now - started)
                let samples = Double(record.samples)
                progress(
                    Progress(
                        epoch: epoch + 1, epochs: options.epochs, step: record.steps, stepsPerEpoch: stepsPerEpoch,
                        loss: record.loss / samples, accuracy: Double(correct) / samples, lr: step.schedule.lr,
                        samplesPerSecond: samples / max(seconds, 1e-9)))
                if delay > 0 { usleep(useconds_t(delay * 1000)) }
            }
            while let sample = try stream.next() {
                sample.tokens.withUnsafeBufferPointer {
                    batch.append(tokens: $0, tokenCount: sample.tokenCount, label: sample.label)
                }
                if batch.count == options.batch { take() }
            }
            if batch.count > 0 { take() }
            let samples = Double(max(record.samples, 1))
            record.loss /= samples
            record.crossEntropy /= samples
            record.centerLoss /= samples
            record.accuracy = Double(correct) / samples
            record.seconds = seconds(clock.now - started)
            record.samplesPerSecond = Double(record.samples) / max(record.seconds, 1e-9)
            let checkpoint = TrainingCheckpoint(
                config: config, options: options, epochsDone: epoch + 1, steps: step.steps,
                schedulePosition: step.schedule.position, lr: step.schedule.lr,
                rngState: ShuffledStream.epochSeed(seed: options.seed, epoch: epoch + 1),
                dataIdentity: data.identity)
            try checkpoint.write(step, to: checkpointPath)
            if pthEvery > 0 && ((epoch + 1) % pthEvery == 0 || epoch + 1 == options.epochs) {
                try AuthorsCheckpoint.write(
                    AuthorsCheckpoint.epoch(step, options: options), to: directory.trainPthFile(epoch: epoch))
            }
            history.append(record)
            try writeHistory(history, to: directory.trainHistoryFile)
            trained.append(record)
        }
        return Outcome(
            checkpoint: checkpointPath, data: data, config: config, options: options, epochs: trained,
            epochsDone: options.epochs, resumedFrom: restored.map { $0.0.epochsDone })
    }

    /// Makes `train/pth/` hold what the authors' inference script expects. A new run deletes the
    /// `checkpoint*` files an earlier one left there and writes `checkpoint_init.pth` (the initial projector);
    /// a resumed run keeps them, and writes a missing `checkpoint_init.pth` from the seed's initialisation.
    static func preparePthFolder(
        _ directory: JobDirectory, fresh: Bool, config: ProjectorConfig, seed: UInt64, _ projector: Projector<Float>,
        _ log: (String) -> Void
    ) throws(LearningError) {
        let folder = directory.trainPthFolder
        do { try FileSystem.makeDirectories(folder) } catch {
            throw LearningError(.write, "cannot create \(folder): \(error)", subject: folder)
        }
        if fresh {
            for name in FileSystem.list(folder) where name.contains("checkpoint") {
                unlink(Path.join(folder, name))
            }
            try AuthorsCheckpoint.write(AuthorsCheckpoint.initial(projector.parameters), to: directory.trainPthInitFile)
        } else if !FileSystem.exists(directory.trainPthInitFile) {
            let initial = ParameterSet<Float>(config: config)
            initial.initialise(config: config, seed: seed)
            try AuthorsCheckpoint.write(AuthorsCheckpoint.initial(initial), to: directory.trainPthInitFile)
            log("wrote \(directory.trainPthInitFile) from the seed's initial weights (the run had no pth folder)")
        }
    }

    /// Deletes the temporary files (`<name>.tmp-<tag>`, ``AtomicFile/target(ofTemporary:)``) in the train
    /// folder `folder`, which killed runs left; returns their names. A second `train` of the same job at
    /// the same time is not supported: its writes would collide anyway.
    @discardableResult
    public static func removeTemporaryFiles(in folder: String) -> [String] {
        FileSystem.list(folder).filter { AtomicFile.isTemporary($0) && unlink(Path.join(folder, $0)) == 0 }
    }

    static func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
    }

    /// The epochs of `train/history.jsonl` (none when it is missing or unreadable).
    public static func readHistory(_ path: String) -> [EpochRecord] {
        guard let bytes = try? FileBytes.read(path) else { return [] }
        return String(decoding: bytes, as: UTF8.self).split(separator: "\n").compactMap {
            try? JSONDecoder().decode(EpochRecord.self, from: Data($0.utf8))
        }
    }

    static func writeHistory(_ records: [EpochRecord], to path: String) throws(LearningError) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var text = ""
        for r in records { text += String(decoding: try! encoder.encode(r), as: UTF8.self) + "\n" }
        do { try AtomicFile.write(Array(text.utf8), to: path) } catch {
            throw LearningError(.write, "cannot write \(path): \(error)", subject: path)
        }
    }
}
