import Foundation
import TagoodSupport

/// Every parameter of the projector in one flat buffer, in the authors' state-dict order and under their
/// names, so that AdamW runs over one array and a checkpoint maps one to one onto `Classifier.state_dict()`.
public final class ParameterSet<T: LearningScalar>: @unchecked Sendable {
    /// One named tensor's place in the buffer.
    public struct Entry: Sendable, Equatable {
        public var name: String
        public var shape: [Int]
        public var offset: Int
        public var count: Int
        /// Whether the optimiser updates it (`w_layer` is kept for compatibility but never trained, so
        /// PyTorch's AdamW skips it: it has no gradient).
        public var trainable: Bool
    }

    public let entries: [Entry]
    public let storage: Matrix<T>
    private let index: [String: Int]

    /// The projector's parameters for `config`, all zero.
    public init(config: ProjectorConfig) {
        var list: [Entry] = []
        var offset = 0
        func add(_ name: String, _ shape: [Int], trainable: Bool = true) {
            let n = shape.reduce(1, *)
            list.append(Entry(name: name, shape: shape, offset: offset, count: n, trainable: trainable))
            offset += n
        }
        let w = config.width
        add("cls_token", [1, 1, w])
        add("image_proj.weight", [w, config.inputWidth])
        add("image_proj.bias", [w])
        add("layers.pos_embedding", [1, config.maxTokens + 1, w])
        for i in 0..<config.layers {
            let p = ProjectorConfig.blockPrefix(i)
            add(p + "ln_1.weight", [w]); add(p + "ln_1.bias", [w])
            add(p + "self_attention.in_proj_weight", [3 * w, w]); add(p + "self_attention.in_proj_bias", [3 * w])
            add(p + "self_attention.out_proj.weight", [w, w]); add(p + "self_attention.out_proj.bias", [w])
            add(p + "ln_2.weight", [w]); add(p + "ln_2.bias", [w])
            add(p + "mlp.0.weight", [config.mlpWidth, w]); add(p + "mlp.0.bias", [config.mlpWidth])
            add(p + "mlp.3.weight", [w, config.mlpWidth]); add(p + "mlp.3.bias", [w])
        }
        add("layers.ln.weight", [w]); add("layers.ln.bias", [w])
        add("classifier.weight", [config.classes, w]); add("classifier.bias", [config.classes])
        add("w_layer.weight", [config.patterns, w], trainable: false);
        add("w_layer.bias", [config.patterns], trainable: false)
        entries = list
        storage = Matrix(rows: 1, columns: offset)
        index = Dictionary(uniqueKeysWithValues: list.enumerated().map { ($1.name, $0) })
    }

    /// A zeroed set with the same layout (for gradients and optimiser moments).
    public init(sameLayoutAs other: ParameterSet<T>) {
        entries = other.entries
        index = other.index
        storage = Matrix(rows: 1, columns: other.storage.count)
    }

    /// The number of scalars.
    public var count: Int { storage.count }

    /// The entry called `name`, if any.
    public func entry(_ name: String) -> Entry? { index[name].map { entries[$0] } }

    /// The first element of the tensor called `name` (which must exist).
    @inline(__always)
    public subscript(_ name: String) -> UnsafeMutablePointer<T> {
        guard let i = index[name] else { preconditionFailure("the projector has no parameter \(name)") }
        return storage.pointer + entries[i].offset
    }

    /// The tensor called `name` as an array.
    public func values(_ name: String) -> [T] {
        let e = entry(name)!
        return Array(UnsafeBufferPointer(start: storage.pointer + e.offset, count: e.count))
    }

    /// Copies every value of `other` (same layout).
    public func copy(from other: ParameterSet<T>) {
        precondition(other.count == count)
        storage.pointer.update(from: other.storage.pointer, count: count)
    }

    /// The authors' initialisation, from `seed` (PyTorch's distributions, not its generator):
    /// `nn.Linear`'s U(±1/√in) for `image_proj`, `out_proj`, `classifier` and `w_layer`; Xavier-uniform
    /// `in_proj_weight` with zero biases, as `nn.MultiheadAttention`; Xavier-uniform MLP weights with
    /// N(0, 1e-6²) biases and N(0, 0.02²) positions, as torchvision's ViT encoder; LayerNorms 1 and 0; a zero
    /// `cls_token`.
    public func initialise(config: ProjectorConfig, seed: UInt64) {
        var random = GaussianRandom(seed: seed)
        for e in entries {
            let p = storage.pointer + e.offset
            let fanIn = e.shape.count == 2 ? e.shape[1] : 0, fanOut = e.shape.count == 2 ? e.shape[0] : 0
            func uniform(_ bound: Double) { for j in 0..<e.count { p[j] = T((random.unit() * 2 - 1) * bound) } }
            func normal(_ std: Double) { for j in 0..<e.count { p[j] = T(random.normal() * std) } }
            let name = e.name
            if name == "cls_token" || name.hasSuffix("in_proj_bias") || name.hasSuffix("out_proj.bias") {
                p.update(repeating: 0, count: e.count)
            } else if name.hasSuffix("ln_1.weight") || name.hasSuffix("ln_2.weight") || name == "layers.ln.weight" {
                p.update(repeating: 1, count: e.count)
            } else if name.hasSuffix("ln_1.bias") || name.hasSuffix("ln_2.bias") || name == "layers.ln.bias" {
                p.update(repeating: 0, count: e.count)
            } else if name == "layers.pos_embedding" {
                normal(0.02)
            } else if name.hasSuffix("in_proj_weight") || (name.contains(".mlp.") && name.hasSuffix(".weight")) {
                uniform((6.0 / Double(fanIn + fanOut)).squareRoot())
            } else if name.contains(".mlp.") {
                normal(1e-6)
            } else if name.hasSuffix(".weight") {
                uniform(1 / Double(fanIn).squareRoot())
            } else {
                // A Linear's bias: U(±1/√in) of its weight's fan-in.
                let weight = entry(String(name.dropLast("bias".count)) + "weight")!
                uniform(1 / Double(weight.shape[1]).squareRoot())
            }
        }
    }
}

/// Seeded uniform and standard-normal numbers (SplitMix64, Box–Muller in float64), for initial weights
/// and the initial class centers.
public struct GaussianRandom: Sendable {
    private var generator: SplitMix64
    private var spare: Double?

    public init(seed: UInt64) { generator = SplitMix64(seed: seed) }

    /// Uniform in [0, 1) with 53 bits.
    public mutating func unit() -> Double { Double(generator.next() >> 11) * 0x1p-53 }

    /// A standard-normal value.
    public mutating func normal() -> Double {
        if let s = spare { spare = nil; return s }
        var u = unit()
        while u == 0 { u = unit() }
        let v = unit()
        let r = (-2 * Foundation.log(u)).squareRoot(), theta = 2 * Double.pi * v
        spare = r * Foundation.sin(theta)
        return r * Foundation.cos(theta)
    }
}
