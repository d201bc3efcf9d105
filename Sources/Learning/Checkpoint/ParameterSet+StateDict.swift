import Model
import Tensor

extension ParameterSet where T == Float {
    /// Copies every parameter from `stateDict` (the authors' names and shapes; f32, f16 or bf16). Every
    /// entry must be there; other names (`centers`, the optimiser's moments under `prefix`) are not read.
    /// `prefix` selects a group stored under other names (`optimizer.exp_avg.` for AdamW's first moment).
    public func load(from stateDict: StateDict, prefix: String = "") throws(LearningError) {
        for e in entries {
            let name = prefix + e.name
            guard let stored = stateDict.tensors[name] else {
                throw LearningError(
                    .checkpoint, "\(stateDict.path) has no tensor \(name) (shape \(e.shape))", subject: stateDict.path,
                    remedy: "a projector checkpoint holds every tensor of the authors' Classifier.state_dict()")
            }
            // PyTorch keeps [1, 1, W] and [1, L, W] parameters; a flat file may drop the leading ones.
            guard
                stored.shape == e.shape
                    || stored.shape.filter({ $0 != 1 }) == e.shape.filter({ $0 != 1 }) && stored.elementCount == e.count
            else {
                throw LearningError(
                    .checkpoint,
                    "\(stateDict.path): tensor \(name) has shape \(stored.shape), the projector needs \(e.shape)",
                    subject: stateDict.path, remedy: "the checkpoint is for another projector shape or class count")
            }
            let values: [Float]
            do { values = try stored.floats(name: name, expectedShape: e.shape) } catch {
                throw LearningError(.checkpoint, "\(stateDict.path): tensor \(name): \(error)", subject: stateDict.path)
            }
            values.withUnsafeBufferPointer {
                storage.pointer.advanced(by: e.offset).update(from: $0.baseAddress!, count: e.count)
            }
        }
    }

    /// The parameters as safetensors entries under their names (with `prefix`).
    public func safetensorsEntries(prefix: String = "", trainableOnly: Bool = false) -> [Safetensors.Entry] {
        entries.filter { !trainableOnly || $0.trainable }.map { e in
            Safetensors.Entry(
                name: prefix + e.name,
                tensor: Tensor(
                    shape: e.shape,
                    scalars: Array(UnsafeBufferPointer(start: storage.pointer + e.offset, count: e.count))))
        }
    }
}

extension ProjectorConfig {
    /// The shape of the projector a state dict holds (the authors' names): widths from `image_proj`,
    /// classes from `classifier`, positions from `layers.pos_embedding`, the block count from the
    /// `encoder_layer_*` names, patterns from `w_layer`. The head count is not in the tensors: `heads`.
    public static func inferred(from stateDict: StateDict, heads: Int = 8) throws(LearningError) -> ProjectorConfig {
        func shape(_ name: String) throws(LearningError) -> [Int] {
            guard let t = stateDict.tensors[name] else {
                throw LearningError(
                    .checkpoint, "\(stateDict.path) has no tensor \(name): it is not a TagOOD projector checkpoint",
                    subject: stateDict.path)
            }
            return t.shape
        }
        let proj = try shape("image_proj.weight"), classifier = try shape("classifier.weight")
        let positions = try shape("layers.pos_embedding"), wLayer = try shape("w_layer.weight")
        let mlp = try shape(ProjectorConfig.blockPrefix(0) + "mlp.0.weight")
        var layers = 0
        while stateDict.tensors[ProjectorConfig.blockPrefix(layers) + "ln_1.weight"] != nil { layers += 1 }
        guard proj.count == 2, classifier.count == 2, positions.count >= 2, wLayer.count == 2, mlp.count == 2 else {
            throw LearningError(
                .checkpoint, "\(stateDict.path): the projector's tensors have unexpected ranks", subject: stateDict.path
            )
        }
        let config = ProjectorConfig(
            inputWidth: proj[1], width: proj[0], heads: heads, layers: layers, mlpWidth: mlp[0],
            maxTokens: positions[positions.count - 2] - 1, patterns: wLayer[0], classes: classifier[0])
        if let problem = config.problem {
            throw LearningError(
                .checkpoint, "\(stateDict.path): the projector's shape is invalid: \(problem)", subject: stateDict.path)
        }
        return config
    }
}
