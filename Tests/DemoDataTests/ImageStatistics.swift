import Imaging

/// Simple per-image statistics that tell the demo's kinds of image apart.
struct ImageStatistics {
    /// Mean RGB of the strongly coloured pixels (saturation ≥ 0.55, value ≥ 0.25): the object, since
    /// in-distribution backgrounds are muted. Nil when there are none.
    let vividMean: [Double]?
    /// The fraction of pixels with saturation below 0.4 (muted: the in-distribution backgrounds).
    let mutedFraction: Double
    /// The mean absolute difference between horizontal neighbours, over all channels (busy textures).
    let edgeEnergy: Double

    init(_ image: RGBImage) {
        var vivid = [0.0, 0.0, 0.0], vividCount = 0, muted = 0, edges = 0
        let p = image.pixels
        for y in 0..<image.height {
            for x in 0..<image.width {
                let i = (y * image.width + x) * 3
                let r = Int(p[i]), g = Int(p[i + 1]), b = Int(p[i + 2])
                let high = max(r, g, b), low = min(r, g, b)
                let saturation = high == 0 ? 0 : Double(high - low) / Double(high)
                if saturation < 0.4 { muted += 1 }
                if saturation >= 0.55 && high >= 64 {
                    vivid[0] += Double(r); vivid[1] += Double(g); vivid[2] += Double(b)
                    vividCount += 1
                }
                if x > 0 {
                    for c in 0..<3 { edges += abs(Int(p[i + c]) - Int(p[i + c - 3])) }
                }
            }
        }
        vividMean = vividCount == 0 ? nil : vivid.map { $0 / Double(vividCount) }
        mutedFraction = Double(muted) / Double(image.width * image.height)
        edgeEnergy = Double(edges) / Double(3 * (image.width - 1) * image.height)
    }

    static func distance(_ a: [Double], _ b: [Double]) -> Double {
        zip(a, b).map { ($0 - $1) * ($0 - $1) }.reduce(0, +).squareRoot()
    }

    static func mean(_ vectors: [[Double]]) -> [Double] {
        (0..<3).map { c in vectors.map { $0[c] }.reduce(0, +) / Double(max(vectors.count, 1)) }
    }
}
