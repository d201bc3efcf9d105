import Foundation
import Model
import Tensor

/// Paths and helpers for the committed fixtures (made by tools/make_model_fixtures.py).
enum Fixtures {
    static let directory: String = {
        guard let url = Bundle.module.url(forResource: "Fixtures", withExtension: nil) else {
            fatalError("ModelTests fixtures are missing from the test bundle")
        }
        return url.path
    }()

    static func path(_ name: String) -> String { directory + "/" + name }

    /// Reads all tensors of a fixture file as float32.
    static func tensors(_ name: String) throws -> [String: Tensor] {
        let sd = try StateDict.load(path: path(name))
        var out: [String: Tensor] = [:]
        for (k, v) in sd.tensors { out[k] = Tensor(shape: v.shape, scalars: try v.floats(name: k)) }
        return out
    }
}

struct ErrorStats: CustomStringConvertible {
    /// max |a − b| / max |b|.
    var normRelative: Double
    /// max over elements of |a − b| / max(|b|, 1e-2 · max |b|): relative error, with values under 1% of
    /// the tensor's largest magnitude measured against that 1% (float32 cannot do better near zero).
    var elementRelative: Double

    init(_ got: Tensor, _ want: Tensor) {
        precondition(got.shape == want.shape, "shape \(got.shape) vs \(want.shape)")
        let scale = want.scalars.map { Double(abs($0)) }.max() ?? 0
        var maxDiff = 0.0, maxRel = 0.0
        for (a, b) in zip(got.scalars, want.scalars) {
            let d = abs(Double(a) - Double(b))
            maxDiff = max(maxDiff, d)
            maxRel = max(maxRel, d / max(Double(abs(b)), 1e-2 * scale, 1e-30))
        }
        normRelative = scale > 0 ? maxDiff / scale : maxDiff
        elementRelative = maxRel
    }

    var description: String { "norm-relative \(normRelative), element-relative \(elementRelative)" }
}
