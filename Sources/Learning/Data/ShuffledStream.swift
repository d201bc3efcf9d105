import Shards
import TagoodSupport

/// One epoch's training samples in a seeded random order, streamed: the shards in a shuffled order, each
/// read whole, through a shuffle buffer of `bufferSize` images (each arriving image replaces a uniformly
/// chosen one, which is emitted; at the end the rest drain in random order).
///
/// Memory is one shard plus the buffer, never the dataset. The order is a function of the seed and the
/// epoch alone, so a resumed epoch sees the same batches. The mix is as good as the buffer is large
/// compared with a shard: shards of a class-sorted dataset are class-sorted, so keep the buffer several
/// shards large (`--shuffle-buffer`).
public struct ShuffledStream {
    let data: TrainingShards
    var random: SplitMix64
    let bufferSize: Int
    private var order: [Int]
    private var nextShard = 0
    private var incoming: [TrainingSample] = []
    private var buffer: [TrainingSample] = []
    private var draining = false

    /// The stream of epoch `epoch` (from 0) of a run seeded with `seed`.
    public init(data: TrainingShards, seed: UInt64, epoch: Int, bufferSize: Int) {
        self.data = data
        random = SplitMix64(seed: Self.epochSeed(seed: seed, epoch: epoch))
        self.bufferSize = max(1, bufferSize)
        order = Array(0..<data.shards.count)
        for i in stride(from: order.count - 1, to: 0, by: -1) { order.swapAt(i, Int(random.next() % UInt64(i + 1))) }
    }

    /// The generator state an epoch starts from: what a checkpoint records as the RNG state.
    public static func epochSeed(seed: UInt64, epoch: Int) -> UInt64 {
        var mix = SplitMix64(seed: seed ^ (UInt64(epoch) &* 0xD1B5_4A32_D192_ED03))
        return mix.next()
    }

    /// The next sample, or nil at the end of the epoch.
    public mutating func next() throws(LearningError) -> TrainingSample? {
        while !draining {
            if incoming.isEmpty {
                guard nextShard < order.count else { draining = true; break }
                let shard = data.shards[order[nextShard]]
                nextShard += 1
                var samples: [TrainingSample] = []
                samples.reserveCapacity(shard.usable)
                try TrainingShards.read(shard.path, checksum: shard.checksum) {
                    (image: ShardImage) throws(LearningError) in
                    guard image.status.isOK, image.tokenCount > 0, image.label >= 0 else { return }
                    samples.append(
                        TrainingSample(tokens: image.tokens, tokenCount: image.tokenCount, label: Int(image.label)))
                }
                incoming = samples.reversed() // popLast() then yields shard order
                continue
            }
            let sample = incoming.removeLast()
            if buffer.count < bufferSize { buffer.append(sample); continue }
            let j = Int(random.next() % UInt64(buffer.count))
            let out = buffer[j]
            buffer[j] = sample
            return out
        }
        guard !buffer.isEmpty else { return nil }
        let j = Int(random.next() % UInt64(buffer.count))
        buffer.swapAt(j, buffer.count - 1)
        return buffer.removeLast()
    }
}
