import Model
import TagoodSupport

/// The authors' checkpoint layout, as their `classifier_training_ema.py` saves it with `torch.save`:
/// `{"projector": state_dict, "ema": centers, "optimizer": AdamW.state_dict(), "scheduler":
/// CosineAnnealingLR.state_dict()}` in `checkpoint_<epoch>.pth`, and `{"projector": state_dict}` in
/// `checkpoint_init.pth`. Tensors only (no pickled classes), so `torch.load(weights_only=True)` reads it.
///
/// The optimizer's state follows `torch.optim.AdamW`: parameters numbered in `Classifier.parameters()` order
/// (the state dict's order), a state (`step`, `exp_avg`, `exp_avg_sq`) for each trained one (`w_layer`, never
/// trained, has none), one parameter group. The scheduler's is `CosineAnnealingLR`'s after `position` steps.
public enum AuthorsCheckpoint {
    /// The projector's state dict as an `OrderedDict` of float32 tensors, in the authors' order.
    public static func stateDict(_ parameters: ParameterSet<Float>) -> TorchSave.Value {
        .orderedDict(
            parameters.entries.map { e in
                (
                    e.name,
                    .tensor(
                        shape: e.shape,
                        scalars: Array(
                            UnsafeBufferPointer(start: parameters.storage.pointer + e.offset, count: e.count))
                    )
                )
            })
    }

    /// `checkpoint_init.pth`: `{"projector": state_dict}`.
    public static func initial(_ parameters: ParameterSet<Float>) -> TorchSave.Value {
        .dict([(.string("projector"), stateDict(parameters))])
    }

    /// `checkpoint_<epoch>.pth` of `step`, trained with `options`.
    public static func epoch(_ step: TrainingStep<Float>, options: TrainingOptions) -> TorchSave.Value {
        let config = step.projector.config
        let centers = TorchSave.Value.tensor(
            shape: [config.classes, config.patterns, config.width / config.patterns],
            scalars: step.centers.values.values)
        return .dict([
            (.string("projector"), stateDict(step.projector.parameters)), (.string("ema"), centers),
            (.string("optimizer"), optimizer(step, options: options)), (.string("scheduler"), scheduler(step))
        ])
    }

    /// `torch.optim.AdamW.state_dict()`.
    static func optimizer(_ step: TrainingStep<Float>, options: TrainingOptions) -> TorchSave.Value {
        let entries = step.projector.parameters.entries
        func moment(_ set: ParameterSet<Float>, _ e: ParameterSet<Float>.Entry) -> TorchSave.Value {
            .tensor(
                shape: e.shape,
                scalars: Array(UnsafeBufferPointer(start: set.storage.pointer + e.offset, count: e.count)))
        }
        var state: [(TorchSave.Value, TorchSave.Value)] = []
        if step.steps > 0 {
            for (i, e) in entries.enumerated() where e.trainable {
                state.append(
                    (
                        .int(i),
                        .dict([
                            (.string("step"), .tensor(shape: [], scalars: [Float(step.steps)])),
                            (.string("exp_avg"), moment(step.firstMoment, e)),
                            (.string("exp_avg_sq"), moment(step.secondMoment, e))
                        ])
                    ))
            }
        }
        let adam = step.optimiser
        let group: TorchSave.Value = .dict([
            (.string("lr"), .float(step.schedule.lr)),
            (.string("betas"), .tuple([.float(adam.beta1), .float(adam.beta2)])), (.string("eps"), .float(adam.eps)),
            (.string("weight_decay"), .float(adam.weightDecay)), (.string("amsgrad"), .bool(false)),
            (.string("foreach"), .none), (.string("maximize"), .bool(false)), (.string("capturable"), .bool(false)),
            (.string("differentiable"), .bool(false)), (.string("fused"), .none),
            (.string("initial_lr"), .float(options.lr)), (.string("params"), .list(entries.indices.map { .int($0) }))
        ])
        return .dict([(.string("state"), .dict(state)), (.string("param_groups"), .list([group]))])
    }

    /// `torch.optim.lr_scheduler.CosineAnnealingLR.state_dict()` after `schedule.position` steps.
    static func scheduler(_ step: TrainingStep<Float>) -> TorchSave.Value {
        let s = step.schedule
        return .dict([
            (.string("T_max"), .int(s.totalSteps)), (.string("eta_min"), .float(s.minimumLR)),
            (.string("base_lrs"), .list([.float(s.baseLR)])), (.string("last_epoch"), .int(s.position)),
            (.string("verbose"), .bool(false)), (.string("_step_count"), .int(s.position + 1)),
            (.string("_get_lr_called_within_step"), .bool(false)), (.string("_last_lr"), .list([.float(s.lr)]))
        ])
    }

    /// Writes `value` to `path` atomically; a failure is `learning.write` naming the file.
    public static func write(_ value: TorchSave.Value, to path: String) throws(LearningError) {
        do { try TorchSave.write(value, to: path) } catch {
            throw LearningError(
                .write, "cannot write the authors' checkpoint \(path): \(error)", subject: path,
                remedy: "check the free space and permissions of \(path)'s folder, or pass --pth-every 0")
        }
    }
}
