import ArgumentParser
import Foundation
import Job
import Learning
import TagoodSupport

/// `tagood train`: TagOOD's class-center learning on a finished job's id-train shards.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract:
            "Train TagOOD's projector and its EMA class centers on a finished job (then reduce for the tagood-learned score).",
        discussion: """
            Streams the job's id-train shards (the images with tokens; the others are skipped and counted) in a \
            seeded random order, and trains the authors' projector natively: a 2-block transformer over each \
            image's object tokens whose CLS feature f is pulled toward EMA class centers (4 patterns a class) \
            while a classifier learns the labels:

              loss = clamp(0.1 * MSE(f, centers[y]) + CE(logits, y), 1e-5, 1e3)
              AdamW (lr 0.01, weight decay 5e-4), cosine-annealed to 1e-5 over epochs x steps, batch 256, seed 42

            After every epoch <job>/train/checkpoint.safetensors is replaced atomically (weights under the authors' \
            state-dict names, the centers, AdamW's moments, the schedule and RNG position) and a line is added to \
            <job>/train/history.jsonl. A killed run loses at most one epoch: --resume continues it bit for bit. \
            The authors' checkpoints go to <job>/train/pth/ (checkpoint_init.pth, and checkpoint_<epoch>.pth every \
            --pth-every epochs and after the last, epochs counted from 0 as theirs): torch.save files of \
            {"projector", "ema", "optimizer", "scheduler"} that their ood_inference_distance.py loads unchanged. \
            `tagood reduce` then adds the tagood-learned score: max_c mean_p cos(f_p, center_c,p) x best tag probability.

            Examples:
              tagood train runs/imagenet                     the authors' 100 epochs
              tagood train runs/imagenet --epochs 10 --threads 16
              tagood train runs/imagenet --resume            after a kill or a lost node
              tagood train runs/imagenet --init-from classifier.safetensors   start from a PyTorch state dict
              tagood train runs/imagenet --init-from outputs/checkpoint_99.pth  or from the authors' checkpoint
            """
    )

    @Argument(help: "The job directory (made by `tagood launch`, with an id-train dataset).") var job: String

    @Option(help: "Epochs to train (the authors: 100). A resumed run keeps its own.") var epochs: Int?
    @Option(help: "Images per batch.") var batch = 256
    @Option(help: "The peak learning rate (cosine-annealed to 1e-5).") var lr = 0.01
    @Option(help: "Threads for BLAS and the kernels (default: all cores).") var threads: Int?
    @Option(help: "The seed of the weights, the centers, the data order and dropout.") var seed: UInt64 = 42
    @Option(
        help:
            "Images in the shuffle buffer; keep it several shards large (shards of a class-sorted dataset hold few classes)."
    )
    var shuffleBuffer = 8192
    @Option(help: "Attention heads of a new projector.") var heads = 8
    @Option(
        help:
            "Momentum of the centers' EMA (the authors: 0.999, for ImageNet's ~500k steps; a small dataset needs less)."
    )
    var centerMomentum = 0.999

    @Flag(help: "Continue from <job>/train/checkpoint.safetensors.") var resume = false
    @Flag(help: "Delete an existing checkpoint and train from scratch.") var restart = false
    @Option(
        help:
            "Start from this state dict of the authors' Classifier: safetensors, or a torch.save .pth (a state dict, or the authors' checkpoint_<epoch>.pth with its projector and ema); weights, and centers when present."
    )
    var initFrom: String?
    @Option(
        help:
            "Write the authors' checkpoint_<epoch>.pth to <job>/train/pth/ after every N-th epoch and the last (0: never)."
    )
    var pthEvery = 10
    @Flag(help: "Print only errors.") var quiet = false

    mutating func validate() throws {
        if [resume, restart, initFrom != nil].filter({ $0 }).count > 1 {
            throw ValidationError("--resume, --restart and --init-from exclude each other")
        }
        if pthEvery < 0 { throw ValidationError("--pth-every must be 0 (off) or a positive number of epochs") }
    }

    mutating func run() throws {
        var options = TrainingOptions()
        options.epochs = epochs ?? options.epochs
        options.batch = batch
        options.lr = lr
        options.threads = threads ?? ParallelFor.defaultThreads
        options.seed = seed
        options.shuffleBuffer = shuffleBuffer
        options.heads = heads
        options.centerMomentum = centerMomentum
        let directory = JobDirectory(job)
        if restart {
            for file in [directory.trainCheckpointFile, directory.trainHistoryFile] { unlink(file) }
        }
        let start: Trainer.Start = resume ? .resume : initFrom.map { .initialise($0) } ?? .fresh
        let quiet = self.quiet
        let bar = TrainingProgressBar(enabled: !quiet)
        let outcome = try Trainer.run(
            directory: directory, options: options, start: start, pthEvery: pthEvery,
            progress: bar.update
        ) { line in
            if !quiet { bar.clear(); print("train: \(line)") }
        }
        bar.clear()
        guard !quiet else { return }
        var table = TextTable(
            "epoch", "loss", "cross-entropy", "center", "accuracy", "lr", "samples/s", "seconds",
            rightAligned: [0, 1, 2, 3, 4, 5, 6, 7])
        for r in outcome.epochs {
            table.add(
                String(r.epoch), Format.fixed(r.loss, 4), Format.fixed(r.crossEntropy, 4),
                Format.fixed(r.centerLoss, 4),
                Format.fixed(r.accuracy * 100, 2) + "%", String(format: "%.3g", r.lr),
                Format.fixed(r.samplesPerSecond, 1),
                Format.fixed(r.seconds, 1))
        }
        print(table.render())
        print(
            "trained \(outcome.epochs.count) epochs (\(outcome.epochsDone) of \(outcome.options.epochs) done); checkpoint \(outcome.checkpoint)"
        )
        print("next: tagood reduce \(job)   (adds the tagood-learned score)")
    }
}

/// One line, redrawn in place on a terminal: epoch, a bar over the epoch's steps, the running loss and
/// accuracy, the learning rate and samples/s. Elsewhere (a log file, Slurm), a line every 10 seconds.
final class TrainingProgressBar {
    private let enabled: Bool
    private let isTerminal = isatty(1) == 1
    private var last = Date.distantPast
    private var drawn = false

    init(enabled: Bool) { self.enabled = enabled }

    func update(_ p: Trainer.Progress) {
        guard enabled else { return }
        let now = Date()
        let endOfEpoch = p.step == p.stepsPerEpoch
        guard endOfEpoch || now.timeIntervalSince(last) >= (isTerminal ? 0.2 : 10) else { return }
        last = now
        let fraction = Double(p.step) / Double(max(p.stepsPerEpoch, 1))
        let filled = Int(fraction * 24)
        let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: 24 - filled)
        let text =
            "epoch \(p.epoch)/\(p.epochs) \(bar) \(p.step)/\(p.stepsPerEpoch)  loss \(Format.fixed(p.loss, 4))  "
            + "acc \(Format.fixed(p.accuracy * 100, 1))%  lr \(String(format: "%.3g", p.lr))  \(Format.fixed(p.samplesPerSecond, 1)) samples/s"
        if isTerminal {
            print("\r\u{1B}[K" + text, terminator: "")
            drawn = true
        } else {
            print("train: " + text)
        }
        fflush(nil)
    }

    func clear() {
        guard drawn else { return }
        print("\r\u{1B}[K", terminator: "")
        fflush(nil)
        drawn = false
    }
}
