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
/// Format `tagood-projector/2` adds `checksum_xxh3`: the XXH3-64 (16 hex digits) of the whole file as
/// written with those 16 digits all `0`, so it covers every byte but itself; it is checked on every read
/// and a damaged checkpoint is refused. A `tagood-projector/1` file (no checksum) still reads.
///
/// Without the `optimizer.*` tensors, the file is `Classifier.state_dict()`: PyTorch loads it with
/// `load_state_dict(strict=True)`, and `tagood train --init` starts from such a file.
public struct TrainingCheckpoint: Sendable, Equatable {
    public static let format = "tagood-projector/2"
    /// The format of tagood 0.3 and before: no checksum.
    public static let formatWithoutChecksum = "tagood-projector/1"
    /// The metadata key of the checksum, and its value while the file is hashed.
    static let checksumKey = "checksum_xxh3", checksumPlaceholder = String(repeating: "0", count: 16)
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
            "lr": String(lr), "rng_state": String(rngState), "data": dataIdentity,
            Self.checksumKey: Self.checksumPlaceholder
        ]
        var bytes = Safetensors.encode(entries, metadata: metadata)
        let range = Self.checksumRange(in: bytes)!
        let digest = Array(Self.hex(XXH3.hash(bytes)).utf8)
        bytes.replaceSubrange(range, with: digest)
        do throws(FileError) {
            let temporary = try AtomicFile.writeTemporary(bytes, for: path)
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

    /// Where the 16 hex digits of `checksum_xxh3` lie in the safetensors header of `bytes`, or nil.
    static func checksumRange(in bytes: [UInt8]) -> Range<Int>? {
        guard bytes.count >= 8 else { return nil }
        var length = 0
        for i in (0..<8).reversed() { length = length << 8 | Int(bytes[i]) }
        guard length >= 0, length <= bytes.count - 8 else { return nil }
        let needle = Array("\"\(checksumKey)\":\"".utf8), header = bytes[8..<(8 + length)]
        guard let start = header.indices.first(where: { header[$0...].starts(with: needle) }) else { return nil }
        let digits = start + needle.count
        guard digits + 17 <= 8 + length, bytes[digits + 16] == UInt8(ascii: "\"") else { return nil }
        return digits..<(digits + 16)
    }

    /// 16 lowercase hex digits.
    static func hex(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }

    /// Checks the checksum of the checkpoint file at `path` (format 2); throws `learning.checkpoint`
    /// naming the file when its bytes changed after they were written.
    public static func verifyChecksum(path: String) throws(LearningError) {
        let bytes: [UInt8]
        do { bytes = try FileBytes.read(path) } catch {
            throw LearningError(.checkpoint, "cannot read the checkpoint \(path): \(error)", subject: path)
        }
        try verifyChecksum(bytes, path: path)
    }

    /// Checks the checksum of a checkpoint's bytes; `path` is for messages.
    static func verifyChecksum(_ file: [UInt8], path: String) throws(LearningError) {
        let damaged = { (why: String) in
            LearningError(
                .checkpoint, "the checkpoint \(path) is damaged: \(why)", subject: path,
                remedy:
                    "do not use it: restore a copy, or delete it and train again (`tagood train <job> --restart`)")
        }
        var bytes = file
        guard let range = checksumRange(in: bytes) else { throw damaged("its \(checksumKey) is missing") }
        let stored = String(decoding: bytes[range], as: UTF8.self)
        bytes.replaceSubrange(range, with: Array(checksumPlaceholder.utf8))
        let computed = hex(XXH3.hash(bytes))
        guard stored == computed else {
            throw damaged("its checksum does not match its bytes (XXH3 \(computed), written \(stored))")
        }
    }

    /// Reads the run state of the checkpoint at `path` (its tensors stay in `stateDict`), after checking
    /// its checksum (format 2).
    public static func read(path: String) throws(LearningError) -> (TrainingCheckpoint, StateDict) {
        // A file with a checksum is checked before a byte of it is parsed.
        let bytes = try? FileBytes.read(path)
        let checked = bytes.flatMap { checksumRange(in: $0) } != nil
        if checked, let bytes { try verifyChecksum(bytes, path: path) }
        let stateDict: StateDict
        do { stateDict = try StateDict.load(path: path) } catch {
            throw LearningError(
                .checkpoint, "cannot read the checkpoint \(path): \(error)", subject: path,
                remedy: "a killed run leaves the previous checkpoint intact; delete a damaged one and train again")
        }
        let m = stateDict.metadata
        if m["format"] == format && !checked { try verifyChecksum(path: path) }
        guard m["format"] == format || m["format"] == formatWithoutChecksum else {
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

    /// Copies the `centers` tensor of `stateDict` (or `ema`, the authors' `.pth` name) into `centers`.
    public static func loadCenters(_ stateDict: StateDict, into centers: ClassCenters<Float>) throws(LearningError) {
        let name = stateDict.tensors["centers"] == nil && stateDict.tensors["ema"] != nil ? "ema" : "centers"
        guard let stored = stateDict.tensors[name], stored.elementCount == centers.values.count,
            let values = try? stored.floats(name: name)
        else {
            throw LearningError(
                .checkpoint, "\(stateDict.path) has no centers tensor of \(centers.classes) × \(centers.width) values",
                subject: stateDict.path,
                remedy: "the file must come from `tagood train` or the authors' Classifier with its centers buffer")
        }
        values.withUnsafeBufferPointer { centers.values.pointer.update(from: $0.baseAddress!, count: values.count) }
    }
}
