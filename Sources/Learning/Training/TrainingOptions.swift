/// What defines a training run (the authors' values by default). Everything but `threads` is recorded in
/// the checkpoint: a resumed run continues with the recorded values.
public struct TrainingOptions: Sendable, Equatable, Codable {
    public var epochs = 100
    public var batch = 256
    public var lr = 0.01
    /// The cosine schedule's floor (η_min).
    public var minimumLR = 1e-5
    public var weightDecay = 5e-4
    public var seed: UInt64 = 42
    /// Images in the shuffle buffer (``ShuffledStream``).
    public var shuffleBuffer = 8192
    /// The head count of a new projector (a checkpoint records its own).
    public var heads = 8
    public var dropout = 0.1
    /// The weight of the center loss and the momentum of the centers' EMA.
    public var centerWeight = 0.1
    public var centerMomentum = 0.999
    /// BLAS and kernel threads (not recorded: any count gives the same numbers for the same count).
    public var threads = 1

    public init() {}

    enum CodingKeys: String, CodingKey {
        case epochs, batch, lr, minimumLR = "minimum_lr", weightDecay = "weight_decay", seed, shuffleBuffer =
            "shuffle_buffer", heads
        case dropout, centerWeight = "center_weight", centerMomentum = "center_momentum"
    }

    /// Why these options cannot train, or nil.
    public var problem: String? {
        if epochs < 1 { return "--epochs must be at least 1 (got \(epochs))" }
        if batch < 1 { return "--batch must be at least 1 (got \(batch))" }
        if !(lr > 0) { return "--lr must be positive (got \(lr))" }
        if threads < 1 { return "--threads must be at least 1 (got \(threads))" }
        if shuffleBuffer < 1 { return "--shuffle-buffer must be at least 1 (got \(shuffleBuffer))" }
        if !(0..<1).contains(dropout) { return "--dropout must be in [0, 1) (got \(dropout))" }
        return nil
    }
}
