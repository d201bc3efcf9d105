import Foundation
import Model

@testable import Learning

/// The committed fixtures of tools/projector_reference.py (PyTorch 2.15, the authors' Classifier).
enum Fixtures {
    static var folder: String {
        guard let url = Bundle.module.url(forResource: "Fixtures", withExtension: nil) else {
            fatalError("LearningTests fixtures are missing from the test bundle")
        }
        return url.path
    }

    static func stateDict(_ name: String) throws -> StateDict { try StateDict.load(path: folder + "/" + name) }

    /// The reference's batch: tokens [B, L, in] zero-padded, with the real counts.
    static func batch(_ io: StateDict, config: ProjectorConfig, reversed: Bool = false) throws -> ProjectorBatch<Float>
    {
        let tokens = try io.tensors["tokens"]!.floats(name: "tokens")
        let shape = io.tensors["tokens"]!.shape
        let counts = try io.tensors["counts"]!.floats(name: "counts").map { Int($0) }
        let labels = try io.tensors["labels"]!.floats(name: "labels").map { Int($0) }
        let batch = ProjectorBatch<Float>(inputWidth: config.inputWidth)
        let order = reversed ? Array((0..<counts.count).reversed()) : Array(0..<counts.count)
        for i in order {
            let start = i * shape[1] * shape[2]
            tokens.withUnsafeBufferPointer { t in
                batch.append(
                    tokens: UnsafeBufferPointer(rebasing: t[start..<(start + counts[i] * shape[2])]),
                    tokenCount: counts[i], label: labels[i])
            }
        }
        return batch
    }

    static func floats(_ io: StateDict, _ name: String) throws -> [Float] {
        guard let t = io.tensors[name] else { fatalError("fixture has no \(name)") }
        return try t.floats(name: name)
    }

    /// max |a − b| / max(max |b|, 1e-3): the error measure of the parity tests.
    static func relativeError(_ a: [Float], _ b: [Float]) -> Float {
        precondition(a.count == b.count, "\(a.count) vs \(b.count)")
        var diff: Float = 0, scale: Float = 1e-3
        for (x, y) in zip(a, b) { diff = max(diff, abs(x - y)); scale = max(scale, abs(y)) }
        return diff / scale
    }
}
