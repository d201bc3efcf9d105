/// Small vector helpers on row-major buffers.
public enum Vectors {
    /// `v / ‖v‖` rounded to Float, computed in Double; nil when ‖v‖ is 0 or not finite.
    public static func normalised(_ v: [Double]) -> [Float]? {
        var norm = 0.0
        for x in v { norm += x * x }
        norm = norm.squareRoot()
        guard norm > 0, norm.isFinite else { return nil }
        return v.map { Float($0 / norm) }
    }

    /// `v / ‖v‖` in Double; nil when ‖v‖ is 0.
    public static func normalisedDouble(_ v: ArraySlice<Double>) -> [Double]? {
        var norm = 0.0
        for x in v { norm += x * x }
        norm = norm.squareRoot()
        guard norm > 0, norm.isFinite else { return nil }
        return v.map { $0 / norm }
    }

    /// Packs the upper triangle (row-major, i ≤ j) of a d×d matrix.
    public static func packUpper(_ m: [Double], d: Int) -> [Double] {
        var out: [Double] = []
        out.reserveCapacity(d * (d + 1) / 2)
        for i in 0..<d { for j in i..<d { out.append(m[i * d + j]) } }
        return out
    }

    /// Unpacks ``packUpper(_:d:)`` into a full symmetric d×d matrix.
    public static func unpackSymmetric(_ p: [Double], d: Int) -> [Double] {
        var m = [Double](repeating: 0, count: d * d)
        var k = 0
        for i in 0..<d {
            for j in i..<d {
                m[i * d + j] = p[k]
                m[j * d + i] = p[k]
                k += 1
            }
        }
        return m
    }
}
