import Foundation
import Model
import TagoodSupport
import Tensor

/// A training checkpoint: one safetensors file, written atomically at the end of every epoch.
///
/// Tensors: the projector under the authors' state-dict names (`cls_token`, `image_proj.*`,
/// `layers.pos_embedding`, `layers.layers.encoder_layer_{i}.*`, `layers.ln.*`, `classifier.*`, `w_layer.*`),
/// `centers` `[C, patterns, W/patterns]`, and AdamW's moments as `optimizer.exp_avg.<name>` and
/// `optimizer.exp_avg_sq.<name>`. Metadata (strings): `format`, `projector` and `training` (JSON), and the
/// run's position: `epochs_done`, `steps`, `schedule_position`, `lr` (exact decimal), `rng_state` (the
/// generator state the next epoch starts from) and `data` (the training shards' fingerprint).
///
/// Without the `optimizer.*` tensors, the file is `Classifier.state_dict()`: PyTorch loads it with
/// `load_state_dict(strict=True)`, and `tagood train --init` starts from such a file.
public struct TrainingCheckpoint: Sendable, Equatable {
    public static let format = "tagood-projector/1"
    static let firstMoment = "optimizer.exp_avg.", secondMoment = "optimizer.exp_avg_sq."

    public var config: ProjectorConfig
    public var options: TrainingOptions
    public var epochsDone: Int
    public var steps: Int
    public var schedulePosition: Int
    public var lr: Double
    public var rngState: UInt64
    public var dataIdentity: String

    public init(
        config: ProjectorConfig, options: TrainingOptions, epochsDone: Int, steps: Int, schedulePosition: Int,
        lr: Double,
        rngState: UInt64, dataIdentity: String
    ) {
        self.config = config
        self.options = options
        self.epochsDone = epochsDone
        self.steps = steps
        self.schedulePosition = schedulePosition
        self.lr = lr
        self.rngState = rngState
        self.dataIdentity = dataIdentity
    }

    /// Writes the checkpoint of `step` to `path` (temporary file, fsync, rename).
    public func write(_ step: TrainingStep<Float>, to path: String) throws(LearningError) {
        var entries = step.projector.parameters.safetensorsEntries()
        let c = config
        entries.append(
            Safetensors.Entry(
                name: "centers",
                tensor: Tensor(
                    shape: [c.classes, c.patterns, c.width / c.patterns],
                    scalars: step.centers.values.values)))
        entries += step.firstMoment.safetensorsEntries(prefix: Self.firstMoment, trainableOnly: true)
        entries += step.secondMoment.safetensorsEntries(prefix: Self.secondMoment, trainableOnly: true)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let metadata: [String: String] = [
            "format": Self.format,
            "projector": String(decoding: try! encoder.encode(config), as: UTF8.self),
            "training": String(decoding: try! encoder.encode(options), as: UTF8.self),
            "epochs_done": String(epochsDone), "steps": String(steps), "schedule_position": String(schedulePosition),
            "lr": String(lr), "rng_state": String(rngState), "data": dataIdentity
        ]
        do throws(FileError) {
            let temporary = try AtomicFile.writeTemporary(Safetensors.encode(entries, metadata: metadata), for: path)
            do throws(FileError) { try AtomicFile.sync(path: temporary) } catch {
                unlink(temporary)
                throw error
            }
            // Failpoint for the leftover tests (they kill the run here): epoch N's temporary is written,
            // not yet renamed.
            if epochsDone == Failpoints.integer("stall-before-checkpoint-rename-epoch") { sleep(600) }
            try AtomicFile.commit(temporary: temporary, to: path)
        } catch {
            throw LearningError(.write, "cannot write the checkpoint \(path): \(error)", subject: path)
        }
    }

    /// Reads the run state of the checkpoint at `path` (its tensors stay in `stateDict`).
    public static func read(path: String) throws(LearningError) -> (TrainingCheckpoint, StateDict) {
        let stateDict: StateDict
        do { stateDict = try StateDict.load(path: path) } catch {
            throw LearningError(
                .checkpoint, "cannot read the checkpoint \(path): \(error)", subject: path,
                remedy: "a killed run leaves the previous checkpoint intact; delete a damaged one and train again")
        }
        let m = stateDict.metadata
        guard m["format"] == format else {
            throw LearningError(
                .checkpoint,
                "\(path) is not a tagood training checkpoint (format \(m["format"] ?? "none"), expected \(format))",
                subject: path,
                remedy: "start from a PyTorch state dict with `tagood train --init \(path)` instead of --resume")
        }
        func field<V>(_ key: String, _ parse: (String) -> V?) throws(LearningError) -> V {
            guard let text = m[key], let value = parse(text) else {
                throw LearningError(
                    .checkpoint, "\(path): metadata key \(key) is missing or invalid (\(m[key] ?? "absent"))",
                    subject: path)
            }
            return value
        }
        let decoder = JSONDecoder()
        let config: ProjectorConfig = try field("projector") {
            try? decoder.decode(ProjectorConfig.self, from: Data($0.utf8))
        }
        var options: TrainingOptions = try field("training") {
            try? decoder.decode(TrainingOptions.self, from: Data($0.utf8))
        }
        options.threads = 1
        let checkpoint = TrainingCheckpoint(
            config: config, options: options, epochsDone: try field("epochs_done") { Int($0) },
            steps: try field("steps") { Int($0) },
            schedulePosition: try field("schedule_position") { Int($0) }, lr: try field("lr") { Double($0) },
            rngState: try field("rng_state") { UInt64($0) }, dataIdentity: try field("data") { $0 })
        return (checkpoint, stateDict)
    }

    /// Loads the projector, the centers and the optimiser's moments of the checkpoint into `step`.
    public static func restore(_ stateDict: StateDict, into step: TrainingStep<Float>) throws(LearningError) {
        try step.projector.parameters.load(from: stateDict)
        try loadCenters(stateDict, into: step.centers)
        for (prefix, set) in [(firstMoment, step.firstMoment), (secondMoment, step.secondMoment)] {
            for e in set.entries where e.trainable {
                guard let stored = stateDict.tensors[prefix + e.name], stored.shape == e.shape,
                    let values = try? stored.floats(name: prefix + e.name)
                else {
                    throw LearningError(
                        .checkpoint, "\(stateDict.path) lacks \(prefix + e.name) (shape \(e.shape))",
                        subject: stateDict.path)
                }
                values.withUnsafeBufferPointer {
                    set.storage.pointer.advanced(by: e.offset).update(from: $0.baseAddress!, count: e.count)
                }
            }
        }
    }

    /// Copies the `centers` tensor of `stateDict` into `centers`.
    public static func loadCenters(_ stateDict: StateDict, into centers: ClassCenters<Float>) throws(LearningError) {
        guard let stored = stateDict.tensors["centers"], stored.elementCount == centers.values.count,
            let values = try? stored.floats(name: "centers")
        else {
            throw LearningError(
                .checkpoint, "\(stateDict.path) has no centers tensor of \(centers.classes) × \(centers.width) values",
                subject: stateDict.path,
                remedy: "the file must come from `tagood train` or the authors' Classifier with its centers buffer")
        }
        values.withUnsafeBufferPointer { centers.values.pointer.update(from: $0.baseAddress!, count: values.count) }
    }
}
